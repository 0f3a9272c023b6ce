"""Staff reading what the customer wrote: sealed fields read back from the log, and the access log."""
