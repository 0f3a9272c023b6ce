"""The scenarios: each is a fault injected into a running cluster under the steady load.

`fault` runs in a thread (it may block: kills, sleeps) and returns when the fault has cleared;
whatever restarts a killed process would do in production (compose's `restart: unless-stopped`)
the scenario does itself, after `RESTART_S`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from faults.cluster import Cluster, Process
from faults.poison import send_poison

RESTART_S = 2.0
CUT_S = 20.0


@dataclass(frozen=True)
class Scenario:
    name: str
    store: str  # "postgres" or "sqlite"
    proves: str
    fault: Callable[[Cluster, dict[str, object]], None]
    own_role: str | None = None  # this service connects as a PostgreSQL role of its own
    tmpfs_mb: int | None = None  # SQLite files on a tmpfs of this size


def _kill_and_restart(p: Process) -> None:
    p.kill()
    time.sleep(RESTART_S)
    p.start()


def kill(service: str) -> Callable[[Cluster, dict[str, object]], None]:
    def fault(cluster: Cluster, notes: dict[str, object]) -> None:
        victim = cluster.writer() if service == "projections" else cluster.of(service)[-1]
        notes["killed"] = victim.replica.name
        if service == "projections":
            notes["role"] = victim.health().get("role")
        _kill_and_restart(victim)
        if service == "projections":
            others = [p for p in cluster.of("projections") if p is not victim]
            started = time.monotonic()
            while others and time.monotonic() - started < 30:
                if any(p.health().get("role") == "writer" for p in others):
                    notes["takeover_s"] = round(time.monotonic() - started + RESTART_S, 2)
                    break
                time.sleep(0.1)
    return fault


def handover(cluster: Cluster, notes: dict[str, object]) -> None:
    """Kill one escalation replica, restart it, and kill the other while the group rebalances."""
    first, second = cluster.of("escalation")[:2]
    second.kill()
    second.start()
    time.sleep(1.5)  # the restarted replica joins: partitions are being handed over
    notes["killed"] = f"{second.replica.name}, then {first.replica.name} during the hand-over"
    _kill_and_restart(first)


def cut(which: str) -> Callable[[Cluster, dict[str, object]], None]:
    def fault(cluster: Cluster, notes: dict[str, object]) -> None:
        proxy = cluster.broker_proxy if which == "broker" else cluster.pg_proxy
        assert proxy is not None
        proxy.cut()
        time.sleep(CUT_S)
        proxy.restore()
        notes["cut_s"] = CUT_S
    return fault


def poison(n: int) -> Callable[[Cluster, dict[str, object]], None]:
    def fault(cluster: Cluster, notes: dict[str, object]) -> None:
        ignore = asyncio.run(send_poison(cluster.settings, n))
        notes["poison"] = n
        notes["ignore"] = ignore
    return fault


def lock_out(cluster: Cluster, notes: dict[str, object]) -> None:
    """The service's role may not log in, its sessions are ended; its timer ticks meanwhile."""
    assert cluster.role is not None
    notes["sessions_ended"] = cluster.role.lock_out()
    time.sleep(CUT_S)
    cluster.role.let_in()
    notes["locked_s"] = CUT_S


def full_disk(cluster: Cluster, notes: dict[str, object]) -> None:
    """Fill the filesystem the SQLite files live on, hold it full, then free the space."""
    assert cluster.data is not None
    filler = cluster.data / "filler"
    written = 0
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
                written += 65536
        except OSError:
            pass
    notes["filled_mb"] = round(written / 2**20, 1)
    time.sleep(CUT_S)
    filler.unlink()
    notes["full_s"] = CUT_S


def all_scenarios(quick: bool) -> list[Scenario]:
    n = 200 if quick else 1000
    kills = [Scenario(f"sigkill-{s}", "postgres", f"SIGKILL of a {s} process mid-stream, restarted after "
                      f"{RESTART_S:.0f} s" + (" (the replica holding the writer lease)" if s == "projections" else ""),
                      kill(s))
             for s in ("projections", "intake", "escalation", "recovery", "followup", "notifier")]
    return [
        *kills,
        Scenario("broker-cut", "postgres", f"every broker connection dropped for {CUT_S:.0f} s (TCP proxy)",
                 cut("broker")),
        Scenario("poison-sqlite", "sqlite", f"{n} fuzzed poison records across the four topics, SQLite stores",
                 poison(n)),
        Scenario("poison-postgres", "postgres", f"{n} fuzzed poison records across the four topics, PostgreSQL",
                 poison(n)),
        Scenario("postgres-cut", "postgres", f"PostgreSQL unreachable for {CUT_S:.0f} s for every service "
                 "(TCP proxy)", cut("postgres")),
        Scenario("handover-kill", "postgres", "an escalation replica killed while partitions are handed over",
                 handover),
        Scenario("role-lockout", "postgres", f"the recovery worker's PostgreSQL role locked out for {CUT_S:.0f} s "
                 "(NOLOGIN, its sessions terminated) while its timer ticks", lock_out, own_role="recovery"),
        Scenario("sqlite-full-disk", "sqlite", f"the filesystem of the SQLite files full for {CUT_S:.0f} s "
                 "(a 96 MB tmpfs)", full_disk, tmpfs_mb=96),
    ]
