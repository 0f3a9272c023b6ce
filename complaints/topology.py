"""The production-like topology without containers: what `docker-compose.yml` runs, as local processes.

Every store on PostgreSQL (one schema per store kind, unique per run: the lifecycle services' state,
the read model, the vault and its access log — as compose's three databases), two replicas of each
worker and two projections replicas (one writes, chosen by the writer lease), one intake.
`complaints dev --postgres URL` runs it; the fault suite (`python -m faults`) builds on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: Replicas per service (compose: `deploy.replicas`, and the projections-replica service).
REPLICAS: dict[str, int] = {"projections": 2, "intake": 1, "escalation": 2, "recovery": 2, "followup": 2,
                            "notifier": 2, "console": 1}
PORT_ENV = {"projections": "API", "intake": "INTAKE", "escalation": "ESCALATION", "recovery": "RECOVERY",
            "followup": "FOLLOWUP", "notifier": "NOTIFIER", "console": "CONSOLE"}
#: Stores -> the environment variables that point at them.
STORES = {"complaints": ("COMPLAINTS_DATABASE_URL",), "projections": ("COMPLAINTS_PROJECTIONS_DATABASE_URL",),
          "vault": ("COMPLAINTS_VAULT_URL", "COMPLAINTS_ACCESS_LOG_URL")}


@dataclass(frozen=True)
class Replica:
    service: str
    index: int  # 1, 2, ...
    port: int

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    def env(self) -> dict[str, str]:
        return {f"COMPLAINTS_{PORT_ENV[self.service]}_PORT": str(self.port)}


def plan(services: list[str], port_of: Callable[[str, int], int],
         replicas: dict[str, int] | None = None) -> list[Replica]:
    """Every replica of `services` (in that order, replicas of one service together), ports by `port_of`."""
    counts = replicas or REPLICAS
    return [Replica(s, i, port_of(s, i)) for s in services for i in range(1, counts.get(s, 1) + 1)]


def schema_url(url: str, schema: str) -> str:
    """`url` with `schema` first on its search_path (every table the services create lands there)."""
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


@contextmanager
def postgres_stores(url: str, prefix: str | None = None, keep: bool = False) -> Iterator[dict[str, str]]:
    """Fresh schemas for this run (`<prefix>_<store>`), as environment variables; dropped afterwards."""
    prefix = prefix or f"dev_{uuid.uuid4().hex[:8]}"
    schemas = {store: f"{prefix}_{store}" for store in STORES}
    admin = create_engine(url, hide_parameters=True, connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as conn:
            for schema in schemas.values():
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        yield {var: schema_url(url, schemas[store]) for store, names in STORES.items() for var in names}
    finally:
        if not keep:
            with admin.begin() as conn:
                for schema in schemas.values():
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
