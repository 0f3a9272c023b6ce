"""Export the JSON Schema of each event to `schemas/json/` (what subscribers read)."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.events import ALL_EVENT_CLASSES, Event

JSON_DIR = Path(__file__).parent / "json"


def schema_filename(cls: type[Event]) -> str:
    return f"{cls.event_type()}.schema.json"


def render(cls: type[Event]) -> str:
    schema = cls.model_json_schema(mode="serialization")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://complaints.example/schemas/{schema_filename(cls)}",
        "x-cloudevents-type": cls.event_type(),
        "x-kafka-topic": cls.topic,
        **schema,
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def export(directory: Path = JSON_DIR) -> list[Path]:
    """Write one file per event type; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for cls in ALL_EVENT_CLASSES:
        path = directory / schema_filename(cls)
        path.write_text(render(cls))
        written.append(path)
    return written


if __name__ == "__main__":
    for p in export():
        print(p)
