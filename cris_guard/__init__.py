"""cris-guard: governed Amazon Bedrock cross-Region inference (CRIS) for EU source Regions.

The package is organised by concern (see README "Layout"):

- ``config``      the validated model of the user's YAML file
- ``catalog``     inference-profile routing data and its refresh tool
- ``regions``     which Region codes exist and which are EU member-state Regions
- ``constructs``  one construct per governed concern
- ``stacks``      composition per source Region
"""

__version__ = "0.1.0"

import os as _os

# jsii prints a large "Node 20 is end-of-life" banner on every run unless this is set before the first
# `import aws_cdk`; every entry point imports this package first (toolchain-notes.md).
_os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
