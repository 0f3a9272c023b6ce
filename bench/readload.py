"""The `read` phase over HTTP: the projections service under 8 client processes, live events meanwhile.

On the generation the read phase just built (its catalog URL), the real projections service runs as
its own process(es) (`complaints run projections`, `bench/readdeploy.py`), with its live consumer on an
embedded Tansu broker, in two deployments one after the other: one process that serves the reads and
projects, then one writer process beside `READERS` reader processes (`COMPLAINTS_PROJECTIONS_ROLE=reader`)
that serve every read. The service's topics carry a prefix per deployment (`COMPLAINTS_TOPIC_PREFIX`): the
built generation's stored offsets are for the unprefixed topics of the synthetic log, which this broker
never had, so the live consumer starts at offset 0 of fresh topics and applies every live record.

Then, for `read_load_s` seconds:
- `CLIENTS` client processes (`bench/readclient.py`) loop over the heaviest reads through the real
  routes with a staff token: queue pages over every filter × sort (and each one's next page), `GET /kpis`
  over the whole history and one channel, queue `as_of`, case views (now and `as_of`), and `/health` —
  the bare HTTP ceiling, answered under the same clients;
- this process publishes new cases' events at `RATE`/s (a `ComplaintReceived`, then the case's
  `RecoveryOffered`) and measures the live lag of each: publish → the event visible in
  `GET /complaints/{id}?min_position=<its position>` (`bench/livelag.py`);
- every process's RSS is sampled every `SAMPLE_S` (`bench.procs.rss_mb`).
The commit lag is read from the database (the writer's commits); the visible lag through the processes
that serve the reads (the readers, in the split deployment).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from bench import readclient
from bench.context import Run
from bench.httpload import percentile
from bench.procs import service_env
from bench.readloadfig import figures

__all__ = ["figures", "load_requests", "measure_deployment", "measure_http", "query"]

CLIENTS = 8
PREFIX = "live."
#: Reader processes of the split deployment (`bench/readdeploy.py`) beside its writer.
READERS = 1
RATE = 20.0
SAMPLE_S = 0.2


def query(f: Any, sort: str, **extra: str) -> str:
    """A queue filter (`QueueFilter`) as the route's query string."""
    pairs: list[tuple[str, str]] = [("status", s) for s in f.status]
    names = {"received_from": "from", "received_to": "to"}
    for field in ("open", "level", "department", "channel", "breached", "customer", "received_from", "received_to",
                  "assignee", "unassigned"):
        value = getattr(f, field)
        if value is not None:
            shown = str(value).lower() if isinstance(value, bool) else value.isoformat() if field in names else value
            pairs.append((names.get(field, field), shown))
    return urlencode([*pairs, ("sort", sort), ("limit", "50"), *extra.items()])


def load_requests(cases: int, ids: list[str]) -> list[tuple[str, str, bool]]:
    """(label, path, follow the next page) of every read the clients loop over."""
    from bench.read import _queue_requests
    from bench.readgen import END, PER_DAY
    from complaints.readmodel.queue import QueueFilter

    out = [(f"queue {name}", f"/complaints?{query(f, sort)}", True) for name, f, sort in _queue_requests()]
    out += [("kpis whole history", "/kpis", False), ("kpis whole history channel=social", "/kpis?channel=social",
                                                      False)]
    span = timedelta(days=cases / PER_DAY)
    for moment_name, moment in (("one minute ago", END - timedelta(minutes=1)), ("mid-history", END - span / 2),
                                ("near the start", END - span + timedelta(hours=6))):
        for f, sort in ((QueueFilter(open=True), "urgency"), (QueueFilter(), "newest"),
                        (QueueFilter(open=True, level="supervisor"), "urgency"), (QueueFilter(breached=True),
                                                                                 "oldest")):
            out.append((f"queue as_of {moment_name}", f"/complaints?{query(f, sort, as_of=moment.isoformat())}",
                        False))
    start = END - span
    for cid in ids[:16]:
        moment = start + timedelta(days=int(cid[-8:]) / PER_DAY, hours=12)
        out += [("case view", f"/complaints/{cid}", False),
                ("case view as_of", f"/complaints/{cid}?{urlencode({'as_of': moment.isoformat()})}", False)]
    out += [("health (ceiling)", "/health", False)] * 16
    return out


def stats(times: list[float]) -> dict[str, float]:
    if not times:
        return {"n": 0}
    return {"n": len(times), "p50_ms": round(percentile(times, 50), 1), "p99_ms": round(percentile(times, 99), 1),
            "max_ms": round(max(times), 1)}


def measure_http(run: Run, url: str, cases: int, ids: list[str], label: str) -> dict[str, Any]:
    """The load on the one-process deployment, then (under `split`) on one writer + `READERS` reader processes."""
    out = measure_deployment(run, url, cases, ids, label, 0)
    out["split"] = measure_deployment(run, url, cases, ids, label, READERS)
    return out


def measure_deployment(run: Run, url: str, cases: int, ids: list[str], label: str, readers: int) -> dict[str, Any]:
    """Start a broker and the deployment (`bench/readdeploy.py`) on the built generation at `url`; measure under
    load; stop both. Each deployment has topics and live case ids of its own (the generation keeps both)."""
    from bench.livelag import live
    from bench.readdeploy import Deployment, deployment_name
    from complaints.auth.staff import Staff
    from complaints.auth.tokens import create_dev_key, issue_dev_token
    from complaints.broker.embedded import start_broker
    from complaints.settings import Settings, default_policy_file
    from complaints.topics import ensure_topics

    tag = f"split{readers}" if readers else PREFIX.rstrip(".")
    folder = run.sub(f"readload-{label.lower()}" + (f"-{tag}" if readers else ""))
    key = create_dev_key(folder / "auth-signing-key.pem")
    token = issue_dev_token(Settings(auth_dev_key_file=key), Staff(id="bench", level="executive",
                                                                   roles=frozenset({"agent"})), timedelta(hours=2))
    requests = load_requests(cases, ids)
    broker = start_broker()
    try:
        settings = Settings(kafka_bootstrap_servers=broker.bootstrap, broker_profile="tansu", topic_prefix=f"{tag}.",
                            partitions=run.sizes.partitions)
        ensure_topics(settings)
        env = {**service_env(bootstrap=broker.bootstrap, database_url=f"sqlite:///{folder}/state.db",
                             projections_url=url, vault_url=f"sqlite:///{folder}/vault.db",
                             policy=default_policy_file(), partitions=run.sizes.partitions, auth_key_file=key),
               "COMPLAINTS_TOPIC_PREFIX": f"{tag}."}
        deployment = Deployment.start(env, folder, readers)
        try:
            procs, serving = deployment.procs, deployment.serving
            warm = [_alone(p.url, token, requests) for p in serving]  # every reader warmed, the first one's shown
            out: dict[str, Any] = {"alone_ms": warm[0]}
            before = {name: round(p.rss_mb(), 1) for name, p in procs.items()}
            writer = next(iter(procs.values()))  # the one process, or the writer (started first)
            wrote = _writer_time(writer.url)
            seconds = run.sizes.read_load_s
            start_at = time.time() + 1.0
            clients = readclient.start(folder, CLIENTS, [p.port for p in serving if p.port], token, requests,
                                       start_at, seconds)
            cpu0, wall0 = {name: p.cpu_seconds() for name, p in procs.items()}, time.monotonic()
            out.update(live(settings, url, [p.port for p in serving if p.port], token,
                            {name: p.pid for name, p in procs.items()}, start_at, seconds, RATE, SAMPLE_S, tag))
            wall = time.monotonic() - wall0
            out["writer"] = {k: round(v - wrote[k], 3) for k, v in _writer_time(writer.url).items()}
            cores = {name: round((p.cpu_seconds() - cpu0[name]) / wall, 2) for name, p in procs.items()}
            times, errors = readclient.collect(clients, seconds)
            out.update(by_route={k: stats(v) for k, v in sorted(times.items())}, errors=errors,
                       requests_per_s=round(sum(map(len, times.values())) / seconds, 1))
            out["processes"] = {name: {**out["rss_mb"][name], "before": before[name], "after": round(p.rss_mb(), 1),
                                       "cpu_cores": cores[name]} for name, p in procs.items()}
            if (dead := deployment.dead()) is not None:
                raise RuntimeError(f"projections under load: {dead}")
        finally:
            deployment.stop()
    finally:
        broker.stop()
    worst = max(out["processes"], key=lambda n: out["processes"][n]["max"])
    w = out["processes"][worst]
    out.update(rss_mb_max=w["max"], rss_mb_p50=w["p50"], rss_mb_before=w["before"], rss_mb_after=w["after"],
               service_cpu_cores=round(sum(cores.values()), 2), clients=CLIENTS, seconds=seconds, rate_per_s=RATE,
               readers=readers)
    run.say(f"read over HTTP ({label}, {deployment_name(readers)}): rss {out['processes']}, lag {out['lag']}, "
            f"commit lag {out['commit_lag']}")
    return out


def _writer_time(base: str) -> dict[str, float]:
    """The writer's batches so far and its writing thread's wall and CPU seconds (`/health`, `projector`)."""
    projector = httpx.get(f"{base}/health", timeout=30).json()["projector"]
    return {k: float(projector[k]) for k in ("batches", "write_s", "write_cpu_s")}


def _alone(base: str, token: str, requests: list[tuple[str, str, bool]]) -> dict[str, float]:
    """Each distinct read once, one at a time, before the load (warms the service; fails early on a bad one)."""
    slowest: dict[str, float] = {}
    with httpx.Client(base_url=base, timeout=120, headers={"authorization": f"Bearer {token}"}) as client:
        for name, path, _ in dict.fromkeys(requests):
            t0 = time.perf_counter()
            reply = client.get(path)
            assert reply.status_code == 200, f"{path}: {reply.status_code} {reply.text[:300]}"
            slowest[name] = round(max(slowest.get(name, 0.0), (time.perf_counter() - t0) * 1000), 1)
    return slowest
