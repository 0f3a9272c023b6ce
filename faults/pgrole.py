"""A PostgreSQL role of its own for one service, so a scenario can lock that service out
(`ALTER ROLE ... NOLOGIN` and its sessions terminated) while every other service carries on."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


class ServiceRole:
    def __init__(self, admin_url: str, name: str, schemas: list[str]) -> None:
        self.name = name
        self.engine = create_engine(admin_url, hide_parameters=True)
        with self.engine.begin() as conn:
            conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
            for schema in schemas:
                conn.execute(text(f'GRANT ALL ON SCHEMA "{schema}" TO "{name}"'))
                # tables the other services (connected as the admin) create there
                conn.execute(text(f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT ALL ON TABLES TO "{name}"'))
                conn.execute(text(f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT ALL ON SEQUENCES TO "{name}"'))

    def url(self, url: str) -> str:
        return make_url(url).set(username=self.name, password=None).render_as_string(hide_password=False)

    def lock_out(self) -> int:
        """No new sessions, and the open ones ended: returns how many were ended."""
        with self.engine.begin() as conn:
            conn.execute(text(f'ALTER ROLE "{self.name}" NOLOGIN'))
            return len(conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                                    {"r": self.name}).all())

    def let_in(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(f'ALTER ROLE "{self.name}" LOGIN'))

    def drop(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                         {"r": self.name})
            conn.execute(text(f'DROP OWNED BY "{self.name}" CASCADE'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{self.name}"'))
        self.engine.dispose()
