"""Compose runs the topology `complaints dev --postgres` runs (complaints/topology.py): the same
replicas per service, and every store on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from complaints.topology import REPLICAS, STORES, plan
from tests.unit.deploy.test_compose import env_file, model, services  # noqa: F401  (fixtures)


def test_compose_runs_as_many_replicas_of_each_service_as_the_local_topology(
        services: dict[str, dict[str, Any]]) -> None:  # noqa: F811
    counts: dict[str, int] = {}
    for svc in services.values():
        command = svc.get("command") or []
        if command[:1] == ["run"]:
            replicas = int((svc.get("deploy") or {}).get("replicas", 1))
            counts[command[1]] = counts.get(command[1], 0) + replicas
    assert counts == REPLICAS


@pytest.mark.parametrize("var", [v for names in STORES.values() for v in names])
def test_every_store_of_every_service_is_on_postgresql(services: dict[str, dict[str, Any]], var: str) -> None:  # noqa: F811
    for name, svc in services.items():
        if (svc.get("command") or [])[:1] == ["run"]:
            assert svc["environment"][var].startswith("postgresql+psycopg://"), (name, var)


def test_the_plan_places_replicas_of_one_service_together_with_their_own_ports() -> None:
    replicas = plan(["projections", "intake", "escalation"], lambda s, i: 9000 + 10 * len(s) + i)
    assert [r.name for r in replicas] == ["projections-1", "projections-2", "intake-1", "escalation-1",
                                          "escalation-2"]
    assert len({r.port for r in replicas}) == len(replicas)
    assert replicas[1].env() == {"COMPLAINTS_API_PORT": str(replicas[1].port)}
