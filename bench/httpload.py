"""A small, cheap HTTP/1.1 load generator (keep-alive connections on asyncio streams).

The services and the load generator share the same 2 cores, so the generator must cost
as little as possible per request: bodies are pre-serialised, responses parsed by hand.

Two modes:
- `closed_loop`: C connections send back to back for a duration (maximum sustained rate);
- `open_loop`: requests start on a fixed schedule (offered load R/s) whatever the replies do,
  and latency is measured from the *scheduled* start, so a stall is not hidden
  (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    tag: object = None  # carried to the result (e.g. the complaint's expected outcome)


@dataclass(frozen=True)
class Reply:
    request: Request
    status: int
    body: bytes
    started: float  # perf_counter at the (scheduled) start
    finished: float

    @property
    def latency_ms(self) -> float:
        return (self.finished - self.started) * 1000


@dataclass
class LoadResult:
    replies: list[Reply] = field(default_factory=list)
    errors: int = 0
    started: float = 0.0
    finished: float = 0.0

    @property
    def seconds(self) -> float:
        return max(self.finished - self.started, 1e-9)

    def ok(self, status: int = 202) -> list[Reply]:
        return [r for r in self.replies if r.status == status]

    def rate(self, status: int = 202) -> float:
        return len(self.ok(status)) / self.seconds

#: uvicorn closes keep-alive connections idle for 5 s; reusing one then fails with a reset.
IDLE_REOPEN_S = 4.0


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0.0  # when the last reply arrived (monotonic)

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def send(self, req: Request) -> tuple[int, bytes]:
        if self.writer is not None and time.monotonic() - self.used > IDLE_REOPEN_S:
            await self.close()  # the server has closed (or is about to close) an idle keep-alive connection
        if self.writer is None or self.reader is None:
            await self.open()
        assert self.writer is not None and self.reader is not None
        head = [f"{req.method} {req.path} HTTP/1.1", f"host: {self.host}:{self.port}"]
        if req.body or req.method in ("POST", "PUT"):
            head += ["content-type: application/json", f"content-length: {len(req.body)}"]
        head += [f"{k}: {v}" for k, v in req.headers]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + req.body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            lname = name.strip().lower()
            if lname == b"content-length":
                length = int(value)
            elif lname == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.readexactly(length) if length else b""
        self.used = time.monotonic()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def closed_loop(host: str, port: int, requests: Iterator[Request], *, concurrency: int, seconds: float,
                      on_reply: Callable[[Reply], None] | None = None, limit: int | None = None) -> LoadResult:
    """`concurrency` connections send back to back until `seconds` pass or `limit` requests were sent."""
    result = LoadResult()
    sent = 0
    deadline = 0.0

    async def worker() -> None:
        nonlocal sent
        conn = await Connection(host, port).open()
        try:
            while time.perf_counter() < deadline and (limit is None or sent < limit):
                try:
                    req = next(requests)
                except StopIteration:
                    return
                sent += 1
                t0 = time.perf_counter()
                try:
                    status, body = await conn.send(req)
                except (ConnectionError, asyncio.IncompleteReadError, OSError):
                    result.errors += 1
                    await conn.close()
                    continue
                reply = Reply(req, status, body, t0, time.perf_counter())
                result.replies.append(reply)
                if on_reply is not None:
                    on_reply(reply)
        finally:
            await conn.close()

    result.started = time.perf_counter()
    deadline = result.started + seconds
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.finished = time.perf_counter()
    return result


async def open_loop(host: str, port: int, requests: Sequence[Request], *, rate: float,
                    on_reply: Callable[[Reply], None] | None = None, max_connections: int = 256) -> LoadResult:
    """Start request i at t0 + i/rate on a free connection (opening more, up to a cap, when all are busy)."""
    result = LoadResult()
    idle: list[Connection] = []
    opened = 0
    tasks: set[asyncio.Task[None]] = set()
    slots = asyncio.Semaphore(max_connections)

    async def one(req: Request, scheduled: float) -> None:
        nonlocal opened
        async with slots:
            conn = idle.pop() if idle else None
            if conn is None:
                opened += 1
                conn = Connection(host, port)
            try:
                status, body = await conn.send(req)
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                result.errors += 1
                await conn.close()
                return
            reply = Reply(req, status, body, scheduled, time.perf_counter())
            idle.append(conn)
        result.replies.append(reply)
        if on_reply is not None:
            on_reply(reply)

    start = time.perf_counter() + 0.05
    result.started = start
    for i, req in enumerate(requests):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(req, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    result.finished = time.perf_counter()
    for conn in idle:
        await conn.close()
    return result


def freeze_garbage() -> None:
    """Move everything alive now (e.g. prepared requests) out of later full collections of the load generator."""
    gc.collect()
    gc.freeze()


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]
