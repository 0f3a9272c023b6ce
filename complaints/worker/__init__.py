"""The thin shell every lifecycle worker shares: faust consumer, case store, timers, HTTP actions."""
