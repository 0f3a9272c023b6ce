"""The case documents this process wrote last, parsed: a memo of `from_json` for the writer.

A case touched by one batch is usually touched again by the next few (its offer, its follow-up),
and parsing its stored JSON again cost ~10 % of the writer. The memo maps a case id to the text
written for it and that text parsed; a stored text is taken from the memo only when it is *equal*
to the text held (compared in full), so the memo can never hand out anything but `from_json(text)`:
a rolled-back batch, another process's write or another generation simply miss. The parsed
documents are shared, which is safe because the fold never changes a document it is given
(`casedoc.advance`). Bounded: the least recently written cases are dropped first.
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic_core import from_json

#: ~7.5 KB each (text + parsed): ~60 MB at most; a few batches' worth of cases.
SIZE = 8_192


class ParsedDocs:
    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._held: dict[str, tuple[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def parse(self, stored: dict[str, str]) -> dict[str, dict[str, Any]]:
        """`{cid: from_json(text)}` for these stored texts."""
        out: dict[str, dict[str, Any]] = {}
        held = self._held
        for cid, text in stored.items():
            got = held.get(cid)
            if got is not None and got[0] == text:
                out[cid] = got[1]
                self.hits += 1
            else:
                out[cid] = from_json(text)
                self.misses += 1
        return out

    def keep(self, written: dict[str, tuple[str, dict[str, Any]]]) -> None:
        """Remember the texts just written (case id -> (text, the document it is the JSON of))."""
        with self._lock:
            held = self._held
            for cid, entry in written.items():
                held.pop(cid, None)
                held[cid] = entry
            while len(held) > self.size:
                del held[next(iter(held))]

    def clear(self) -> None:
        with self._lock:
            self._held.clear()


#: The process's memo (the writer's batches, whichever generation they write).
PARSED = ParsedDocs()
