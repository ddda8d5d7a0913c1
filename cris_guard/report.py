"""Deprecated alias of :mod:`cris_guard.review` (the review report), kept for one release.

``from cris_guard import report`` and ``python -m cris_guard.report`` still work as before; new code
imports :mod:`cris_guard.review` and runs ``cris-guard report``.
"""

import sys

from cris_guard.review import *  # noqa: F403 (every name of cris_guard.review.__all__)
from cris_guard.review import __all__, main

if __name__ == "__main__":
    sys.exit(main())
