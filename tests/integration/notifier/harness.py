"""What the notifier's tests run against: the real SMTP sink, a real webhook receiver, real services."""

from __future__ import annotations

import email
import email.policy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from complaints.envelope import Envelope
from complaints.mailsink import messages
from complaints.settings import Settings
from schemas.registry import ALL_MODELS
from tests.kafka_helpers import case_events
from tests.tokens import bearer

SECRET = "whsec_" + "c2VjcmV0LWZvci10aGUtdGVzdC1yZWNlaXZlcg=="


def mails(folder: Path) -> list[EmailMessage]:
    out = []
    for path in messages(folder):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        out.append(msg)
    return out


def mails_to(folder: Path, address: str, subject: str = "") -> list[EmailMessage]:
    return [m for m in mails(folder) if m["To"] == address and subject in str(m["Subject"])]


def wait_mail(folder: Path, address: str, subject: str, count: int = 1, timeout: float = 30.0) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = mails_to(folder, address, subject)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    seen = [(m["To"], m["Subject"]) for m in mails(folder)]
    raise AssertionError(f"no {count} mail(s) {subject!r} to {address} in {timeout}s; mailbox: {seen}")


def body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def link_in(msg: EmailMessage) -> str:
    found = re.search(r"https?://\S+/c/\S+", body(msg))
    assert found, body(msg)
    return found.group(0)


def events(settings: Settings, complaint_id: str) -> list[Envelope]:
    """This case's events on the topics (every type, the customer's answers too), by time."""
    return case_events(settings, complaint_id, models=ALL_MODELS)


def wait_events(settings: Settings, complaint_id: str, done: Any, timeout: float = 30.0) -> list[Envelope]:
    deadline = time.monotonic() + timeout
    found: list[Envelope] = []
    while time.monotonic() < deadline:
        found = events(settings, complaint_id)
        if done([type(e.event).__name__ for e in found]):
            return found
        time.sleep(0.3)
    raise AssertionError(f"case {complaint_id}: {[type(e.event).__name__ for e in found]}")


def form_value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


@dataclass
class Receiver:
    """A webhook endpoint (a real HTTP server) that verifies every signature and fails the first `fail_first`."""

    fail_first: int = 2
    received: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(SECRET).verify(raw, headers)
                    verified = True
                except WebhookVerificationError:
                    verified = False
                failing = len(receiver.received) < receiver.fail_first
                receiver.received.append({"id": headers.get("webhook-id"), "verified": verified,
                                          "answered": 500 if failing else 200, "body": json.loads(raw)})
                self.send_response(500 if failing or not verified else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()


def deliveries(settings: Settings, notifier_url: str, **query: str) -> list[dict[str, Any]]:
    """GET /deliveries as an operator (stats:read) sees it."""
    reply = httpx.get(f"{notifier_url}/deliveries", params={"limit": "1000", **query}, timeout=5,
                      headers=bearer(settings, sub="ops-1", roles=("admin",)))
    assert reply.status_code == 200, reply.text
    return list(reply.json())
