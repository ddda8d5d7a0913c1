"""Lambda handler sources, one directory per function; each directory is shipped as-is as a Lambda asset."""
