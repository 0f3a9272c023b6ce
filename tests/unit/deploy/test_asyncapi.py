"""schemas/asyncapi.yaml: valid per the AsyncAPI reference parser, and in step with the code:
topics, event types, exported JSON Schemas, the envelope's headers, the dead-letter headers
and the topic settings."""

from __future__ import annotations

import asyncio
import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from complaints.envelope import encode
from complaints.kafka.dlq import dead_letter
from complaints.settings import Settings
from complaints.topics import TOPIC_CONFIG, all_topics, dlq
from schemas.events import ALL_EVENT_CLASSES, TOPICS
from schemas.export import JSON_DIR, schema_filename
from schemas.registry import parse_event
from tests.unit.deploy.samples import one_of_each
from tests.unit.deploy.tools import ASYNCAPI, NODE_MODULES, clean_env, node_bin

VALIDATOR = Path(__file__).parent / "asyncapi" / "validate.cjs"


def validate(document: Path) -> tuple[int, dict[str, Any]]:
    out = subprocess.run(
        [node_bin(), str(VALIDATOR), str(document)],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(NODE_PATH=str(NODE_MODULES)),
    )
    assert out.returncode != 2, out.stderr
    return out.returncode, json.loads(out.stdout)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return yaml.safe_load(ASYNCAPI.read_text())  # type: ignore[no-any-return]


def deref(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and set(node) == {"$ref"} and node["$ref"].startswith("#/"):
        target: Any = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def inline_local_refs(doc: dict[str, Any], node: Any) -> Any:
    """A JSON Schema with every `#/components/...` reference inlined (for jsonschema)."""
    node = deref(doc, node)
    if isinstance(node, dict):
        return {k: inline_local_refs(doc, v) for k, v in node.items()}
    if isinstance(node, list):
        return [inline_local_refs(doc, v) for v in node]
    return node


def message(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return deref(doc, doc["components"]["messages"][name])  # type: ignore[no-any-return]


def headers_validator(doc: dict[str, Any], name: str) -> Draft202012Validator:
    schema = inline_local_refs(doc, message(doc, name)["headers"])
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def payload_validator(name: str) -> Draft202012Validator:
    [cls] = [c for c in ALL_EVENT_CLASSES if (c.name or c.topic) == name]
    schema = json.loads((JSON_DIR / schema_filename(cls)).read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


# --- the real tool ---------------------------------------------------------------------------


def test_asyncapi_document_is_valid() -> None:
    code, result = validate(ASYNCAPI)
    problems = [d for d in result["diagnostics"] if d["severity"] in ("error", "warning")]
    assert code == 0 and not problems, json.dumps(problems, indent=2)
    assert result["version"].startswith("3.0")
    assert set(result["channels"]) == set(all_topics())


def test_the_validator_really_reads_the_payload_files(tmp_path: Path) -> None:
    shutil.copytree(JSON_DIR, tmp_path / "json")
    broken = tmp_path / "asyncapi.yaml"
    broken.write_text(ASYNCAPI.read_text().replace("complaints.FollowedUp.v2.schema.json", "missing.schema.json"))
    code, result = validate(broken)
    assert code == 1
    assert "invalid-ref" in {d["code"] for d in result["diagnostics"] if d["severity"] == "error"}


def test_the_validator_really_checks_the_kafka_bindings(tmp_path: Path) -> None:
    shutil.copytree(JSON_DIR, tmp_path / "json")
    broken = tmp_path / "asyncapi.yaml"
    broken.write_text(ASYNCAPI.read_text().replace("retention.ms: -1", "retention.ms: -2", 1))
    code, result = validate(broken)
    assert code == 1
    assert any("retention.ms" in d["path"] for d in result["diagnostics"] if d["severity"] == "error")


# --- agreement with the code -------------------------------------------------------------------


def test_channels_are_the_topics_and_their_dead_letter_twins(doc: dict[str, Any]) -> None:
    addresses = {ch["address"] for ch in doc["channels"].values()}
    assert addresses == set(all_topics()) == {*TOPICS, *(dlq(t) for t in TOPICS)}
    for name, ch in doc["channels"].items():
        assert name == ch["address"]


@pytest.mark.parametrize("cls", ALL_EVENT_CLASSES, ids=lambda c: c.name or c.topic)
def test_each_topic_carries_its_event_types_and_exported_schemas(doc: dict[str, Any], cls: Any) -> None:
    channel = doc["channels"][cls.topic]
    name = cls.name or cls.topic
    msg = deref(doc, channel["messages"][name])
    assert msg["name"] == name
    assert msg["contentType"] == "application/json"
    ref = msg["payload"]["$ref"]
    assert ref == f"./json/{schema_filename(cls)}"
    exported = json.loads((ASYNCAPI.parent / ref).read_text())
    assert exported["x-cloudevents-type"] == cls.event_type()
    assert exported["x-kafka-topic"] == cls.topic
    ce_type = [part["properties"]["ce_type"]["const"] for part in msg["headers"]["allOf"] if "properties" in part]
    assert ce_type == [cls.event_type()]
    key = deref(doc, msg["bindings"])["kafka"]["key"]
    assert key["type"] == "string" and "complaint id" in key["description"]


def test_operations_send_every_event(doc: dict[str, Any]) -> None:
    sent = {deref(doc, op["channel"])["address"] for op in doc["operations"].values() if op["action"] == "send"}
    assert sent == set(TOPICS)


def test_kafka_bindings_are_the_topic_settings(doc: dict[str, Any]) -> None:
    partitions = Settings.model_fields["partitions"].default
    for ch in doc["channels"].values():
        binding = deref(doc, ch["bindings"])["kafka"]
        assert binding["partitions"] == partitions
        config = binding["topicConfiguration"]
        assert config["retention.ms"] == int(TOPIC_CONFIG["retention.ms"])
        assert config["cleanup.policy"] == [TOPIC_CONFIG["cleanup.policy"]]


@pytest.mark.parametrize("event", one_of_each(), ids=lambda e: e.topic)
def test_headers_the_envelope_writes_are_the_documented_ones(doc: dict[str, Any], event: Any) -> None:
    record = encode(event, event_id="e-1", source="complaints/test", causation_id="e-0",
                    traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate="vendor=1")
    headers = {k: v.decode() for k, v in record.headers}
    errors = [e.message for e in headers_validator(doc, event.topic).iter_errors(headers)]
    assert not errors
    documented = deref(doc, doc["components"]["schemas"]["CloudEventsHeaders"])
    assert set(headers) == set(documented["properties"])  # nothing undocumented, nothing missing
    without_cause = encode(event, event_id="e-1", source="complaints/test")
    assert {k for k, _ in without_cause.headers} == set(documented["required"])
    assert record.key.decode() == headers["ce_subject"] == event.complaint_id
    assert not list(payload_validator(event.name or event.topic).iter_errors(json.loads(record.value)))


def test_dead_letter_headers_are_the_documented_ones(doc: dict[str, Any]) -> None:
    sent: dict[str, Any] = {}

    class Producer:
        async def send_raw(self, topic: str, value: bytes | None, key: bytes | None, headers: Any) -> None:
            sent.update(topic=topic, value=value, key=key, headers=headers)

    record = encode(one_of_each()[1], event_id="e-1", source="complaints/test")
    asyncio.run(
        dead_letter(
            Producer(),  # type: ignore[arg-type]
            service="escalation",
            topic=record.topic,
            partition=3,
            offset=17,
            key=record.key,
            value=record.value,
            headers=record.headers,
            error=ValueError("boom"),
        )
    )
    assert sent["topic"] == dlq(record.topic)
    headers = {k: v.decode() for k, v in sent["headers"]}
    assert not [e.message for e in headers_validator(doc, "DeadLetter").iter_errors(headers)]
    documented = deref(doc, doc["components"]["schemas"]["DeadLetterHeaders"])
    assert {k for k in headers if k.startswith("dlq_")} == set(documented["properties"])


def test_examples_are_valid_events(doc: dict[str, Any]) -> None:
    checked = 0
    for name in TOPICS:
        for example in message(doc, name).get("examples", []):
            assert not [e.message for e in payload_validator(name).iter_errors(example["payload"])]
            assert not [e.message for e in headers_validator(doc, name).iter_errors(example["headers"])]
            event = parse_event(example["headers"]["ce_type"], copy.deepcopy(example["payload"]))
            assert event.complaint_id == example["headers"]["ce_subject"]
            checked += 1
    assert checked >= 1
