"""One HTTP client process of the `read` phase's load (`bench/readload.py`): loops over its reads, times each.

    python -m bench.readclient SPEC.json OUT.json

SPEC: `{"port", "token", "requests": [[label, path, follow], ...], "start_at" (epoch s), "seconds", "seed"}`.
The client waits until `start_at` (so all clients start together), then sends its requests back to back
on one keep-alive connection, in its own shuffled order, until `seconds` have passed. A request marked
`follow` (a queue page) whose answer has a `next_cursor` is followed by that next page, timed under the
same label. OUT: `{"times": {label: [ms, ...]}, "errors": {label: count}, "requests": n}`.

Imports only the standard library and `bench.httpload`: the process costs little besides its requests.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.httpload import Connection, Request

ROOT = Path(__file__).resolve().parent.parent


async def _send(conn: Connection, req: Request) -> tuple[int, bytes, float]:
    t0 = time.perf_counter()
    try:
        status, body = await conn.send(req)
    except (ConnectionError, asyncio.IncompleteReadError, OSError):
        await conn.close()
        return 0, b"", (time.perf_counter() - t0) * 1000
    return status, body, (time.perf_counter() - t0) * 1000


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    rng = random.Random(spec["seed"])
    reqs = [tuple(r) for r in spec["requests"]]
    rng.shuffle(reqs)
    auth = (("authorization", f"Bearer {spec['token']}"),)
    conn = Connection("127.0.0.1", int(spec["port"]))
    times: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    sent = 0
    delay = float(spec["start_at"]) - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    deadline = time.perf_counter() + float(spec["seconds"])
    while time.perf_counter() < deadline:
        label, path, follow = reqs[sent % len(reqs)]
        sent += 1
        status, body, ms = await _send(conn, Request("GET", str(path), headers=auth))
        if status != 200:
            errors[str(label)] = errors.get(str(label), 0) + 1
            continue
        times.setdefault(str(label), []).append(ms)
        cursor = json.loads(body).get("next_cursor") if follow else None
        if cursor and time.perf_counter() < deadline:
            status, _, ms = await _send(conn, Request("GET", f"{path}&cursor={cursor}", headers=auth))
            if status == 200:
                times[str(label)].append(ms)
            else:
                errors[str(label)] = errors.get(str(label), 0) + 1
    await conn.close()
    return {"times": times, "errors": errors, "requests": sent}


def start(folder: Path, clients: int, ports: list[int], token: str, requests: list[tuple[str, str, bool]],
          start_at: float, seconds: float) -> list[tuple[subprocess.Popen[bytes], Path]]:
    """`clients` client processes, each with its spec file in `folder`, spread over `ports` (client k reads
    from `ports[k % len(ports)]`); they start sending at `start_at`."""
    out = []
    for k in range(clients):
        spec, result = folder / f"client-{k}.json", folder / f"client-{k}.out.json"
        spec.write_text(json.dumps({"port": ports[k % len(ports)], "token": token, "requests": requests,
                                    "start_at": start_at, "seconds": seconds, "seed": k}))
        proc = subprocess.Popen([sys.executable, "-m", "bench.readclient", str(spec), str(result)], cwd=ROOT)
        out.append((proc, result))
    return out


def collect(clients: list[tuple[subprocess.Popen[bytes], Path]], seconds: float) -> tuple[dict[str, list[float]],
                                                                                          dict[str, int]]:
    """Every client's timings and errors by label, merged (after each process has exited)."""
    times: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for proc, result in clients:
        if proc.wait(timeout=seconds + 300) != 0:
            raise RuntimeError(f"a read client failed (exit {proc.returncode})")
        got = json.loads(result.read_text())
        for name, values in got["times"].items():
            times.setdefault(name, []).extend(values)
        for name, n in got["errors"].items():
            errors[name] = errors.get(name, 0) + n
    return times, errors


def main(argv: list[str]) -> None:
    spec_file, out_file = argv
    result = asyncio.run(run(json.loads(Path(spec_file).read_text())))
    Path(out_file).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
