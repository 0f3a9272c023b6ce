#!/usr/bin/env python3
"""Page a manager when a complaint is escalated: a subscriber of the `Escalated` topic.

This program knows nothing of the platform's code. It relies only on what the
platform publishes: the topic name, the CloudEvents headers, and the JSON Schema
file of the event (schemas/json/complaints.Escalated.v1.schema.json), which also
names the CloudEvents type it describes (`x-cloudevents-type`). Needs two
libraries: kafka-python and jsonschema (see requirements.txt).

It joins a consumer group, so run as many copies as you like with the same
--group: Kafka shares the topic's partitions between them, and all the events of
one complaint (same key, same partition) reach the same copy, in order. Offsets
are committed after each batch is handled, so a restart resumes where it stopped
(at least once: a crash between paging and committing pages again, so the pager
de-duplicates on the event id `ce_id`, which the platform keeps stable).

One line per escalation is printed on stdout; problems go to stderr.

    python examples/subscriber/escalation_pager.py --bootstrap 127.0.0.1:9092 --group pager

Every option also reads an environment variable (shown by --help).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from kafka import ConsumerRebalanceListener, KafkaConsumer, OffsetAndMetadata, TopicPartition

HERE = Path(__file__).resolve().parent
DEFAULT_SCHEMA = HERE.parent.parent / "schemas" / "json" / "complaints.Escalated.v1.schema.json"
REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject")


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--bootstrap",
        default=env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="bootstrap servers [KAFKA_BOOTSTRAP_SERVERS] (default %(default)s)",
    )
    p.add_argument("--topic", default=env("PAGER_TOPIC", "Escalated"), help="[PAGER_TOPIC] (default %(default)s)")
    p.add_argument(
        "--group",
        default=env("PAGER_GROUP", "escalation-pager"),
        help="consumer group id [PAGER_GROUP] (default %(default)s)",
    )
    p.add_argument(
        "--schema",
        type=Path,
        default=Path(env("PAGER_SCHEMA", str(DEFAULT_SCHEMA)) or DEFAULT_SCHEMA),
        help="the published JSON Schema of the event [PAGER_SCHEMA]",
    )
    p.add_argument(
        "--start",
        choices=("earliest", "latest"),
        default=env("PAGER_START", "earliest"),
        help="where a NEW group starts; an existing group resumes from its committed offsets\n"
        "[PAGER_START] (default %(default)s; 'latest' to page only for new escalations)",
    )
    p.add_argument(
        "--session-timeout-ms",
        type=int,
        default=int(env("PAGER_SESSION_TIMEOUT_MS", "10000") or 10000),
        help="[PAGER_SESSION_TIMEOUT_MS] (default %(default)s; 3000 on the embedded dev broker,\n"
        "which delays every group join by about half of it)",
    )
    p.add_argument(
        "--heartbeat-interval-ms",
        type=int,
        default=int(env("PAGER_HEARTBEAT_INTERVAL_MS", "0") or 0),
        help="[PAGER_HEARTBEAT_INTERVAL_MS] (default: a third of the session timeout)",
    )
    p.add_argument(
        "--fetch-max-wait-ms",
        type=int,
        default=int(env("PAGER_FETCH_MAX_WAIT_MS", "100") or 100),
        help="[PAGER_FETCH_MAX_WAIT_MS] (default %(default)s)",
    )
    p.add_argument(
        "--idle-exit",
        type=float,
        default=float(env("PAGER_IDLE_EXIT", "0") or 0),
        help="exit (after committing) once no record arrived for this many seconds since\n"
        "partitions were assigned; 0 = run until stopped [PAGER_IDLE_EXIT]",
    )
    p.add_argument(
        "--max-events",
        type=int,
        default=int(env("PAGER_MAX_EVENTS", "0") or 0),
        help="exit (after committing) after this many escalations; 0 = no limit [PAGER_MAX_EVENTS]",
    )
    p.add_argument(
        "--security-protocol",
        default=env("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
        help="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL [KAFKA_SECURITY_PROTOCOL]",
    )
    p.add_argument(
        "--sasl-mechanism",
        default=env("KAFKA_SASL_MECHANISM"),
        help="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 [KAFKA_SASL_MECHANISM]",
    )
    p.add_argument("--sasl-username", default=env("KAFKA_SASL_USERNAME"), help="[KAFKA_SASL_USERNAME]")
    p.add_argument("--ssl-cafile", default=env("KAFKA_SSL_CAFILE"), help="CA bundle for TLS [KAFKA_SSL_CAFILE]")
    # The password is read from the environment only (KAFKA_SASL_PASSWORD), never from argv.
    return p.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Decoder:
    """CloudEvents binary-mode record -> (attributes, payload), checked against the published schema."""

    def __init__(self, schema_path: Path) -> None:
        schema = json.loads(schema_path.read_text())
        Draft202012Validator.check_schema(schema)
        self.validator = Draft202012Validator(schema, format_checker=FormatChecker())
        self.ce_type: str = schema["x-cloudevents-type"]  # e.g. complaints.Escalated.v1

    def decode(
        self, key: bytes | None, headers: Iterable[tuple[str, bytes | None]], value: bytes | None
    ) -> tuple[dict[str, str], dict[str, Any]] | None:
        """Returns None for an event type this schema does not describe (skip it); raises ValueError if bad."""
        attrs = {name: (raw or b"").decode("utf-8") for name, raw in headers}
        missing = [h for h in REQUIRED_HEADERS if not attrs.get(h)]
        if missing:
            raise ValueError(f"not a CloudEvents binary-mode record, missing headers {missing}")
        if attrs["ce_specversion"] != "1.0":
            raise ValueError(f"unsupported CloudEvents specversion {attrs['ce_specversion']!r}")
        if attrs["ce_type"] != self.ce_type:
            return None  # another type or a future version: not ours to judge
        if attrs.get("content-type", "application/json") != "application/json":
            raise ValueError(f"unexpected content-type {attrs['content-type']!r}")
        try:
            payload = json.loads(value or b"")
        except ValueError as exc:
            raise ValueError(f"value is not JSON: {exc}") from exc
        errors = sorted(self.validator.iter_errors(payload), key=lambda e: list(e.path))
        if errors:
            e: ValidationError = errors[0]
            where = "/".join(str(p) for p in e.path) or "(root)"
            raise ValueError(f"payload does not match {self.ce_type}: {where}: {e.message}")
        key_text = (key or b"").decode("utf-8")
        if not (key_text == attrs["ce_subject"] == payload["complaint_id"]):
            raise ValueError(f"key {key_text!r}, ce_subject and complaint_id disagree")
        return attrs, payload


def page_line(attrs: dict[str, str], event: dict[str, Any], partition: int, offset: int) -> str:
    """The one line printed per escalation (this is where a real pager would call out)."""
    return (
        f"PAGE complaint={event['complaint_id']} level={event['from_level']}->{event['level']}"
        f" department={event.get('department') or '-'} reason={event['reason']}"
        f" sla_due_at={event['sla_due_at']} episode={event['episode']}"
        f" ce_id={attrs['ce_id']} ce_time={attrs['ce_time']} partition={partition} offset={offset}"
    )


class Assignment(ConsumerRebalanceListener):
    def __init__(self) -> None:
        self.assigned_at: float | None = None

    def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.assigned_at = time.monotonic()
        log(f"assigned {len(assigned)} partition(s): {sorted(tp.partition for tp in assigned)}")


def consumer_config(args: argparse.Namespace) -> dict[str, Any]:
    heartbeat = args.heartbeat_interval_ms or max(args.session_timeout_ms // 3, 100)
    config: dict[str, Any] = {
        "bootstrap_servers": args.bootstrap.split(","),
        "group_id": args.group,
        "client_id": f"{args.group}-{os.getpid()}",
        "enable_auto_commit": False,  # commit only what was handled
        "auto_offset_reset": args.start,
        "session_timeout_ms": args.session_timeout_ms,
        "heartbeat_interval_ms": heartbeat,
        "fetch_max_wait_ms": args.fetch_max_wait_ms,
        "security_protocol": args.security_protocol,
    }
    if args.sasl_mechanism:
        config.update(
            sasl_mechanism=args.sasl_mechanism,
            sasl_plain_username=args.sasl_username,
            sasl_plain_password=os.environ.get("KAFKA_SASL_PASSWORD"),
        )
    if args.ssl_cafile:
        config["ssl_cafile"] = args.ssl_cafile
    return config


def run(args: argparse.Namespace) -> int:
    decoder = Decoder(args.schema)
    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    consumer = KafkaConsumer(**consumer_config(args))
    assignment = Assignment()
    consumer.subscribe([args.topic], listener=assignment)
    seen: OrderedDict[str, None] = OrderedDict()  # recent ce_ids: redeliveries are not paged twice
    paged = skipped = rejected = 0
    last_record = time.monotonic()
    try:
        while not stopping:
            batches = consumer.poll(timeout_ms=200)
            commit: dict[TopicPartition, OffsetAndMetadata] = {}
            for tp, records in batches.items():
                for record in records:
                    try:
                        decoded = decoder.decode(record.key, record.headers, record.value)
                    except ValueError as exc:
                        # A real system would dead-letter it; here we report it and move on.
                        rejected += 1
                        log(f"REJECT partition={tp.partition} offset={record.offset}: {exc}")
                    else:
                        if decoded is None:
                            skipped += 1  # another event type or version
                        else:
                            attrs, event = decoded
                            if attrs["ce_id"] not in seen:
                                print(page_line(attrs, event, tp.partition, record.offset), flush=True)
                                paged += 1
                            seen[attrs["ce_id"]] = None
                            while len(seen) > 10_000:
                                seen.popitem(last=False)
                    commit[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
            if commit:
                consumer.commit(commit)  # synchronous: the batch is handled, remember it
                last_record = time.monotonic()
            if args.max_events and paged >= args.max_events:
                break
            idle_since = max(last_record, assignment.assigned_at or float("inf"))
            if args.idle_exit and time.monotonic() - idle_since >= args.idle_exit:
                break
    finally:
        consumer.close()  # leaves the group at once, so a restart does not wait for the session timeout
        log(f"done: paged={paged} skipped={skipped} rejected={rejected}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
