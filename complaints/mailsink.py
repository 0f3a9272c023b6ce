"""A local SMTP server (aiosmtpd) that keeps every message as an `.eml` file: the dev stack's outbox.

`complaints dev` runs it and points the notifier at it; open `var/dev/mail/*.eml` with any mail
client or read them as text. Each message gets its own file (never overwritten), so a message
sent twice shows up twice.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class EmlFolder:
    """aiosmtpd handler: writes each accepted message to `<folder>/<time>-<id>.eml` (atomically)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(data)
        os.replace(partial, self.folder / name)
        return "250 Message accepted for delivery"


def start_mail_sink(folder: Path, host: str = "127.0.0.1", port: int = 1025) -> Controller:
    """Start the sink in its own thread; `.stop()` it when done."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs each recipient at INFO
    controller = Controller(EmlFolder(folder), hostname=host, port=port)
    controller.start()
    return controller


def messages(folder: Path) -> list[Path]:
    """The stored messages, oldest first."""
    return sorted(folder.glob("*.eml"))
