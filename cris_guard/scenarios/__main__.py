"""``python -m cris_guard.scenarios``: an alias of ``cris-guard scenarios`` (kept for one release)."""

import sys

from cris_guard.scenarios.command import main

sys.exit(main())
