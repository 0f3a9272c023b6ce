"""The fault suite: `python -m faults` (docs/faults.md)."""
