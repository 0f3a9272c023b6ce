"""The read model's database: tables, generations, set-based writes, queries and queue SQL."""
