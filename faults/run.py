"""One scenario, start to end: a fresh cluster, the steady load, the fault, the drain, the figures."""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from faults.cluster import Cluster
from faults.load import EXPECTED_STATUS, Load
from faults.measure import Progress, ReadModel, sample, scan_topics
from faults.scenarios import Scenario


@dataclass
class Result:
    name: str
    store: str
    proves: str
    sent: int = 0
    accepted: int = 0
    expected: int = 0
    lost: int = 0
    divergent: int = 0
    duplicates: int = 0
    stall_s: float = 0.0  # longest, after the fault cleared
    recover_s: float | None = None  # fault cleared -> every complaint accepted before it has its outcome
    notes: dict[str, object] = field(default_factory=dict)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return (self.error is None and self.lost == 0 and self.divergent == 0 and self.stall_s <= 30
                and self.expected == self.accepted and self.accepted == self.sent)


async def run(scenario: Scenario, folder: Path, postgres: str | None, warmup_s: float, after_s: float,
              rate: float, drain_s: float = 90.0) -> Result:
    result = Result(scenario.name, scenario.store, scenario.proves)
    data = mount_tmpfs(folder / "data", scenario.tmpfs_mb) if scenario.tmpfs_mb else None
    cluster = Cluster(folder, postgres if scenario.store == "postgres" else None, scenario.own_role, data)
    try:
        await asyncio.to_thread(cluster.start)
    except Exception as exc:  # reported as this scenario's error; the next scenarios still run
        await asyncio.to_thread(cluster.stop)
        unmount(data)
        result.error = f"the cluster did not start: {str(exc).splitlines()[0]}"
        return result
    model = ReadModel(cluster.store_urls["COMPLAINTS_PROJECTIONS_DATABASE_URL"])
    load = Load(cluster.intake.url, rate, run=f"{scenario.name}-{int(time.time())}")
    done_at: dict[str, float] = {}

    def count() -> tuple[int, int]:
        try:
            statuses = model.statuses()
        except Exception:  # the read model's database unreachable for the suite too: no progress seen
            return len(load.accepted), len(done_at)
        now = time.monotonic()
        accepted = load.accepted
        for s in accepted:
            if s.complaint_id not in done_at and statuses.get(s.complaint_id or "") == EXPECTED_STATUS:
                done_at[s.complaint_id or ""] = now
        return len(accepted), sum(1 for s in accepted if s.complaint_id in done_at)

    progress, stop = Progress(), asyncio.Event()
    sampler = asyncio.create_task(sample(progress, count, stop))
    loading = asyncio.create_task(load.run_until_stopped())
    try:
        await asyncio.sleep(warmup_s)
        await asyncio.to_thread(scenario.fault, cluster, result.notes)
        cleared = time.monotonic()
        await asyncio.sleep(after_s)
        load.stop()
        await loading
        deadline = time.monotonic() + drain_s
        while time.monotonic() < deadline and count()[1] < len(load.accepted):
            await asyncio.sleep(0.5)
        stop.set()
        await sampler
        statuses = await asyncio.to_thread(model.statuses)
        ignore = result.notes.pop("ignore", set())
        topics = await scan_topics(cluster.settings, ignore if isinstance(ignore, set) else set())
        accepted = load.accepted
        result.sent, result.accepted = len(load.sent), len(accepted)
        result.expected = sum(1 for s in accepted if statuses.get(s.complaint_id or "") == EXPECTED_STATUS)
        result.lost = sum(1 for s in accepted if s.complaint_id not in statuses)
        result.divergent, result.duplicates = len(topics.divergent), topics.duplicates
        result.stall_s = round(progress.longest_stall(after=cleared), 1)
        before = [done_at.get(s.complaint_id or "") for s in accepted if (s.accepted_at or 0) <= cleared]
        if before and all(t is not None for t in before):
            result.recover_s = round(max(0.0, max(t for t in before if t is not None) - cleared), 1)
        if topics.divergent:
            result.notes["divergent_ids"] = topics.divergent[:5]
        result.notes["retried"] = sum(1 for s in load.sent if s.tries > 1)
        result.notes["dead_letters"] = topics.dead_letters
        if dead := cluster.dead():
            result.notes["dead"] = dead
            result.error = f"process(es) not running at the end: {', '.join(dead)}"
    except Exception as exc:  # a scenario that breaks the harness is reported, never hidden
        result.error = f"{type(exc).__name__}: {exc}"
        stop.set()
        load.stop()
    finally:
        for task in (sampler, loading):
            task.cancel()
        model.dispose()
        await asyncio.to_thread(cluster.stop)
        unmount(data)
    return result


def mount_tmpfs(path: Path, size_mb: int) -> Path:
    """A small tmpfs (needs root): the full-disk scenario fills it."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)], check=True)
    return path


def unmount(path: Path | None) -> None:
    if path is not None:
        subprocess.run(["umount", "-l", str(path)], check=False)
