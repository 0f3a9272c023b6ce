"""`complaints what-if`: the recorded history (read from the topics) re-decided under a candidate policy.

The decisions are the domain's (`complaints/domain/whatif.py`); this package only reads the log and
prints the report. Read-only: nothing is published or written.
"""
