"""Ceiling for the lifecycle workers: a bare faust agent passing records topic -> topic.

Built with `complaints.worker.faust_app.create_faust_app`, so it gets the same broker
profile (group timeouts, linger, acks=all) and the same fetch-wait override as the
workers; it decodes nothing, keeps no state and writes no database.

Run: `python -m bench.bare_agent SRC DST EXPECTED OUT.json` (broker from the environment).
Writes `OUT.json.ready` once it owns its partitions, then `OUT.json` with
`{"events": N, "seconds": S}`: S runs from the first record received to the broker's ack of
the EXPECTED-th record forwarded.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import uvloop

from complaints.settings import Settings
from complaints.worker.faust_app import create_faust_app


def main() -> None:
    src, dst, expected, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    settings = Settings()
    app = create_faust_app("bench-bare-agent", settings)
    source = app.topic(src, key_serializer="raw", value_serializer="raw")
    sink = app.topic(dst, key_serializer="raw", value_serializer="raw")
    done = asyncio.Event()
    state: dict[str, Any] = {"n": 0, "first": None}

    async def joined(*_: Any, **__: Any) -> None:
        out.with_name(out.name + ".ready").write_text("ready")

    app.on_rebalance_complete.connect(joined)  # type: ignore[arg-type]

    @app.agent(source, name="bench-bare-forward")
    async def forward(stream: Any) -> None:
        async for event in stream.events():
            msg = event.message
            if state["first"] is None:
                state["first"] = time.perf_counter()
            fut = await sink.send(key=msg.key, value=msg.value, headers=list(msg.headers or []))
            state["n"] += 1
            if state["n"] == expected:
                await fut
                out.write_text(json.dumps({"events": expected, "seconds": time.perf_counter() - state["first"]}))
                done.set()

    async def run() -> None:
        await app.start()
        try:
            await done.wait()
        finally:
            await app.stop()

    uvloop.run(run())  # the event loop the services get from uvicorn


if __name__ == "__main__":
    main()
