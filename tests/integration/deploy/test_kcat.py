"""The kcat command deploy/README.md documents shows exactly what the docs say: the key is
the complaint id, the headers are the CloudEvents ones of schemas/asyncapi.yaml, the value
is the event's JSON, valid against its published schema."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker

from complaints.envelope import encode
from schemas.export import JSON_DIR
from tests.conftest import Broker
from tests.integration.deploy.conftest import Producer
from tests.integration.deploy.kcat_shim import kcat_shim
from tests.unit.deploy.samples import escalated
from tests.unit.deploy.tools import ASYNCAPI, ROOT, clean_env, tool

README = ROOT / "deploy" / "README.md"


def documented_command() -> list[str]:
    """The command under the `kcat-watch` marker in deploy/README.md."""
    text = README.read_text()
    block = re.search(r"<!-- kcat-watch[^>]*-->\s*```sh\n(?P<cmd>[^\n]+)\n```", text)
    assert block, "deploy/README.md lost its kcat-watch command"
    return shlex.split(block["cmd"])


def documented_example() -> str:
    text = README.read_text()
    block = re.search(r"prints, for each escalation.*?```text\n(?P<line>[^\n]+)\n```", text, flags=re.S)
    assert block, "deploy/README.md lost its kcat example output"
    return block["line"]


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """`%k %h %s`: key, headers as name=value pairs joined by commas, value."""
    key, headers, value = line.split(" ", 2)
    pairs = dict(h.split("=", 1) for h in headers.split(","))
    return key, pairs, value


def headers_validator() -> Draft202012Validator:
    doc = yaml.safe_load(ASYNCAPI.read_text())
    schema = doc["components"]["schemas"]["CloudEventsHeaders"]
    return Draft202012Validator(schema, format_checker=FormatChecker())


def payload_validator() -> Draft202012Validator:
    schema = json.loads((JSON_DIR / "complaints.Escalated.v1.schema.json").read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


def check_documented_shape(key: str, headers: dict[str, str], value: str) -> dict[str, Any]:
    assert not [e.message for e in headers_validator().iter_errors(headers)]
    assert headers["ce_type"] == "complaints.Escalated.v1"
    payload = json.loads(value)
    assert not [e.message for e in payload_validator().iter_errors(payload)]
    assert key == headers["ce_subject"] == payload["complaint_id"]
    return payload  # type: ignore[no-any-return]


@contextmanager
def reachable_by_kcat(broker: Broker) -> Iterator[str]:
    """The bootstrap address kcat should use (Tansu needs the shim, see kcat_shim.py)."""
    if broker.profile == "tansu":
        with kcat_shim(broker.bootstrap) as shim:
            yield shim.bootstrap
    else:
        with nullcontext():
            yield broker.bootstrap


def test_documented_kcat_command_shows_key_headers_and_payload(broker: Broker, producer: Producer) -> None:
    run = uuid.uuid4().hex[:8]
    records = [
        encode(escalated(f"c-{run}-0"), event_id=f"{run}-0", source="complaints/escalation"),
        encode(
            escalated(f"c-{run}-1", level="department", department="privacy_legal", episode=2),
            event_id=f"{run}-1",
            source="complaints/escalation",
            correlation_id=f"corr-{run}",
            causation_id=f"{run}-cause",
        ),
    ]
    for r in records:
        producer.send(r)

    command = documented_command()
    assert command[0] == "kcat" and command[command.index("-t") + 1] == "Escalated"
    with reachable_by_kcat(broker) as bootstrap:
        command[0] = tool("kcat")
        command[command.index("-b") + 1] = bootstrap
        out = subprocess.run(
            [*command, "-o", "beginning", "-e", "-q"], capture_output=True, text=True, timeout=60, env=clean_env()
        )
    assert out.returncode == 0, out.stderr

    seen = {}
    for line in out.stdout.splitlines():
        key, headers, value = parse(line)
        if run in key:
            seen[key] = (headers, value)
    assert set(seen) == {r.key.decode() for r in records}
    for r in records:
        headers, value = seen[r.key.decode()]
        # exactly the record's headers and value, byte for byte as text
        assert headers == {k: v.decode() for k, v in r.headers}
        assert value == r.value.decode()
        check_documented_shape(r.key.decode(), headers, value)
    with_cause = seen[f"c-{run}-1"][0]
    assert with_cause["ce_causationid"] == f"{run}-cause" and with_cause["ce_correlationid"] == f"corr-{run}"
    assert "ce_causationid" not in seen[f"c-{run}-0"][0]


def test_documented_example_output_is_a_valid_record() -> None:
    key, headers, value = parse(documented_example())
    payload = check_documented_shape(key, headers, value)
    assert set(headers) == set(headers_validator().schema["properties"])
    assert payload["level"] == "manager"
