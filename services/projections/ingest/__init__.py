"""Records in: consuming the lifecycle topics, planning and writing batches, live and replay."""
