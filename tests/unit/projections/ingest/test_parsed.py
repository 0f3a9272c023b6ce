"""The writer's memo of parsed case documents only ever answers `from_json(text)` for the text it is given."""

from __future__ import annotations

from pydantic_core import from_json, to_json

from services.projections.ingest.parsed import ParsedDocs


def test_a_held_document_is_given_only_for_an_equal_text() -> None:
    memo = ParsedDocs(size=2)
    doc = {"complaint_id": "c1", "event_count": 1}
    text = to_json(doc).decode()
    memo.keep({"c1": (text, doc)})
    assert memo.parse({"c1": "".join(text)})["c1"] is doc, "equal text (another string object): the held document"
    changed = to_json({**doc, "event_count": 2}).decode()  # e.g. another process wrote the case since
    assert memo.parse({"c1": changed})["c1"] == from_json(changed) == {"complaint_id": "c1", "event_count": 2}
    assert memo.parse({"c2": text})["c2"] is not doc, "held per case"


def test_the_memo_is_bounded_dropping_the_least_recently_written() -> None:
    memo = ParsedDocs(size=2)
    docs = {cid: {"complaint_id": cid} for cid in ("a", "b", "c")}
    texts = {cid: to_json(d).decode() for cid, d in docs.items()}
    memo.keep({"a": (texts["a"], docs["a"]), "b": (texts["b"], docs["b"])})
    memo.keep({"a": (texts["a"], docs["a"])})  # written again: the most recent now
    memo.keep({"c": (texts["c"], docs["c"])})
    got = memo.parse(texts)
    assert got["a"] is docs["a"] and got["c"] is docs["c"]
    assert got["b"] is not docs["b"] and got["b"] == docs["b"], "dropped: parsed again"
    assert (memo.hits, memo.misses) == (2, 1)
