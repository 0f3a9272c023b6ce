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
    from bench.readdeploy import Deployment
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
            seconds = run.sizes.read_load_s
            start_at = time.time() + 1.0
            clients = readclient.start(folder, CLIENTS, [p.port for p in serving if p.port], token, requests,
                                       start_at, seconds)
            cpu0, wall0 = {name: p.cpu_seconds() for name, p in procs.items()}, time.monotonic()
            out.update(live(settings, url, [p.port for p in serving if p.port], token,
                            {name: p.pid for name, p in procs.items()}, start_at, seconds, RATE, SAMPLE_S, tag))
            wall = time.monotonic() - wall0
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


def deployment_name(readers: int) -> str:
    return "one process" if not readers else f"1 writer + {readers} reader process{'es' if readers > 1 else ''}"


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


#: (figure, which labels) of the reads reported under load; the worst p99 among a family's labels.
FAMILIES = (("queue page, every filter × sort (and its next page), worst",
             lambda n: n.startswith("queue ") and not n.startswith("queue as_of")),
            ("KPIs, whole history", lambda n: n == "kpis whole history"),
            ("KPIs, whole history, one channel", lambda n: n == "kpis whole history channel=social"),
            ("queue as_of (4 filters × 3 moments), worst", lambda n: n.startswith("queue as_of")),
            ("case view", lambda n: n == "case view"), ("case view as_of", lambda n: n == "case view as_of"))


def figures(run: Run, db: str, r: dict[str, Any]) -> None:
    h = r.get("http")
    if not h:
        return
    n = f"{r['cases']:,} cases"
    note = (f"`read` phase over HTTP (`bench/readload.py`): the projections service as its own process on the same "
            f"generation, {h['clients']} client processes looping over the heaviest reads for {h['seconds']:g} s "
            f"while {h['rate_per_s']:g} new events/s are published (topics prefixed `{PREFIX}`); p99s there "
            "include queueing behind the other clients' reads on the service's one event loop. Then the same "
            "load on the split deployment (`bench/readdeploy.py`): one writer process projects and serves no "
            "client, reader processes (`COMPLAINTS_PROJECTIONS_ROLE=reader`) serve every read; commit lag read "
            "from the database, visible lag through the readers.")
    if note not in run.notes:
        run.notes.append(note)
    _deployment_figures(run, f"read ({db}) over HTTP, {h['clients']} client processes", n, h, True)
    if h.get("split"):
        split = h["split"]
        _deployment_figures(run, f"read ({db}) over HTTP, {h['clients']} client processes, split: "
                                 f"{deployment_name(split['readers'])}", n, split, False)


def _deployment_figures(run: Run, head: str, n: str, h: dict[str, Any], reads: bool) -> None:
    """RSS and both lags of one deployment; `reads`: the reads' p99 families too."""
    from bench.context import Figure

    ceiling = h["by_route"].get("health (ceiling)", {})
    bare = f"`/health` under the same clients p99 {ceiling.get('p99_ms')} ms"
    each = "; ".join(f"{name} {p['max']} MB (before {p['before']}, {p['cpu_cores']} cores)"
                     for name, p in h.get("processes", {}).items())
    run.add(Figure(f"{head}: projections RSS, max while they run the heaviest reads, {n}",
                   f"{h['rss_mb_max']} MB (p50 {h['rss_mb_p50']}; before {h['rss_mb_before']}, after "
                   f"{h['rss_mb_after']}; {h['requests_per_s']} req/s, service {h['service_cpu_cores']} cores"
                   + (f"; per process: {each})" if h.get("readers") else ")"),
                   "—", "—", "≤ 250 MB", "met" if h["rss_mb_max"] <= 250 else "missed"))
    lag, done = h["lag"], h["commit_lag"]
    events = f"{lag['n']} events at {h['rate_per_s']:g}/s"
    run.add(Figure(f"{head}: live lag, publish → committed by the projector, max, {n}",
                   f"{done['max_ms']} ms (p50 {done['p50_ms']}, p99 {done['p99_ms']} ms; {events})",
                   f"broker ack p50 {lag['ack_p50_ms']} ms", "—", "< 1000 ms",
                   "met" if done["max_ms"] < 1000 and done["n"] == lag["n"] + lag["failed"] else "missed"))
    run.add(Figure(f"{head}: live lag, publish → visible in `GET /complaints/{{id}}` under the same load, max, {n}",
                   f"{lag['max_ms']} ms (p50 {lag['p50_ms']}, p99 {lag['p99_ms']} ms; {events}, "
                   f"{lag['failed']} not seen)", bare, "—", "< 1000 ms",
                   "met" if lag["max_ms"] < 1000 and not lag["failed"] else "missed"))
    for name, pick in FAMILIES if reads else ():
        found = {k: v for k, v in h["by_route"].items() if pick(k) and v.get("n")}
        if not found:
            continue
        worst = max(found, key=lambda k: found[k]["p99_ms"])
        w = found[worst]
        detail = f"worst: {worst.removeprefix('queue ')}; " if len(found) > 1 else ""
        run.add(Figure(f"{head}: {name} p99 under the load, {n}",
                       f"{w['p99_ms']} ms ({detail}p50 {w['p50_ms']} ms, {sum(v['n'] for v in found.values())} "
                       f"answers)", bare, f"{w['p99_ms'] / ceiling['p99_ms']:.1f}×" if ceiling.get("p99_ms") else "—",
                       "report", "info"))
