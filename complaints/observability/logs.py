"""One logging configuration for every service: JSON lines on stderr (python-json-logger).

Each line carries `time`, `level`, `logger`, `message`, `service` and, when the line is about one
event, `complaint_id`, `event_id` and `correlation_id` (set with `log_context`), and the trace's
`trace_id` / `span_id` when tracing is on. Personal data never goes in: the services log ids, types
and positions only (customers' words and contact details are sealed in the vault before anything
is logged), and as a second line of defence anything shaped like an e-mail address or a phone
number in a message is masked. `COMPLAINTS_LOG_FORMAT=text` gives the same lines as plain text.

uvicorn takes the same configuration (`uvicorn.run(..., log_config=log_config(service))`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

CONTEXT_FIELDS = ("complaint_id", "event_id", "correlation_id")
_context: ContextVar[dict[str, str] | None] = ContextVar("complaints_log_context", default=None)

_EMAIL = re.compile(r"[^@\s\"'<>]+@[^@\s\"'<>]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w.:/-])\+\d[\d ()./-]{5,}\d")


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Lines logged inside the block name these ids (complaint_id, event_id, correlation_id)."""
    token = _context.set({**(_context.get() or {}), **{k: v for k, v in fields.items() if v}})
    try:
        yield
    finally:
        _context.reset(token)


def mask(text: str) -> str:
    """Anything that looks like an e-mail address or a phone number, replaced by a marker."""
    return _PHONE.sub("<phone>", _EMAIL.sub("<email>", text))


class ContextFilter(logging.Filter):
    """Adds the service name, the ids of `log_context` and the current trace to each record."""

    def __init__(self, service: str = "") -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        for name, value in (_context.get() or {}).items():
            setattr(record, name, value)
        span = _current_span_context()
        if span is not None:
            record.trace_id, record.span_id = f"{span.trace_id:032x}", f"{span.span_id:016x}"
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return True


def _current_span_context() -> Any:
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    return ctx if ctx.is_valid else None


def log_config(service: str, level: str = "INFO", fmt: str = "json") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the root logger and uvicorn's, as JSON lines (or text)."""
    formatter: dict[str, Any] = {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        "datefmt": "%Y-%m-%dT%H:%M:%S%z",
    } if fmt == "json" else {"format": "%(asctime)s %(levelname)s %(service)s %(name)s: %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter, "service": service}},
        "formatters": {"default": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "default", "filters": ["context"]}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error",
                                                                            "uvicorn.access")},
    }


def service_log_config(service: str, settings: Any) -> dict[str, Any]:
    """`log_config` from `COMPLAINTS_LOG_LEVEL` / `COMPLAINTS_LOG_FORMAT` (for `uvicorn.run(log_config=...)`)."""
    return log_config(service, settings.log_level, settings.log_format)


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    import logging.config

    logging.config.dictConfig(log_config(service, level, fmt))
