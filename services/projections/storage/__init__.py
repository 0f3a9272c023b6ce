"""The read model's database: tables and generations (`tables`, `store`), row encoding
(`codec`), set-based batch writes (`sqlwrite`), reads of one generation (`queries`) and the
queue's filters as SQL (`queue`).

May import: SQLAlchemy, `complaints.db`, `complaints.readmodel`, `schemas`.
Never `api` or `ingest` (they import this).
"""
