from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from complaints.broker.embedded import free_port
from complaints.mailsink import start_mail_sink
from complaints.settings import Settings
from tests.integration.notifier.harness import SECRET, Receiver
from tests.stack import FAST_POLICY, ServiceProcess, Stack, service_env


@dataclass
class Loop:
    """The lifecycle services and the notifier, on one broker, with a mail sink and a webhook receiver."""

    stack: Stack
    notifier: ServiceProcess
    mailbox: Path
    receiver: Receiver
    logs: Path


@pytest.fixture(scope="module")
def loop(module_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loop]:
    folder = tmp_path_factory.mktemp("loop")
    # The fast test policy, with an answer window long enough for a test to answer through the page.
    policy = folder / "policy.yaml"
    policy.write_text(FAST_POLICY.read_text().replace("answer_window: 5s", "answer_window: 120s"))
    mailbox = folder / "mail"
    smtp_port = free_port()
    sink: Controller = start_mail_sink(mailbox, "127.0.0.1", smtp_port)
    receiver = Receiver().start()
    logs = folder / "logs"
    logs.mkdir()
    stack = Stack(module_settings, logs, policy)
    port = free_port()
    env = {**service_env(module_settings, policy),
           "COMPLAINTS_DATABASE_URL": f"sqlite:///{folder}/notifier.db",
           "COMPLAINTS_SMTP_PORT": str(smtp_port),
           "COMPLAINTS_CUSTOMER_URL": f"http://127.0.0.1:{port}",
           "COMPLAINTS_CUSTOMER_LINK_SECRET": "test-link-secret",
           "COMPLAINTS_NOTIFY_RETRY_BASE_S": "0.2",
           "COMPLAINTS_WEBHOOKS": json.dumps([{"name": "crm", "url": receiver.url, "secret": SECRET}])}
    notifier = ServiceProcess("notifier", port, env, logs / "notifier.log")
    try:
        stack.start("intake", "escalation", "recovery", "followup")
        notifier.start().wait_ready()
        yield Loop(stack, notifier, mailbox, receiver, logs)
    finally:
        notifier.stop()
        stack.stop()
        receiver.stop()
        sink.stop()
