"""Master-key rotation: re-wrap every customer key under the configured current master key."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from complaints.pii.tables import keys
from complaints.pii.vault import Vault

_NOT_CURRENT = (select(keys.c.customer_ref, keys.c.key, keys.c.kek_id)
                .where((keys.c.kek_id != bindparam("b_kid")) | keys.c.kek_id.is_(None))
                .order_by(keys.c.customer_ref).limit(bindparam("b_limit")))
_REWRAP = (update(keys).where(keys.c.customer_ref == bindparam("b_ref"), keys.c.key == bindparam("b_old"))
           .values(key=bindparam("b_new"), kek_id=bindparam("b_kid")))


def rewrap(vault: Vault, batch: int = 500) -> dict[str, int]:
    """Re-wrap every customer key not yet under the current master key; counts by former key id.

    Safe while services run: each row changes only if it still holds what was read (a
    concurrent erase or rewrap wins), and services unwrap with the current and previous keys.
    """
    moved: dict[str, int] = {}
    skipped: set[str] = set()
    while True:
        with vault.engine.begin() as conn:
            page = conn.execute(_NOT_CURRENT, {"b_kid": vault.keywrap.kid, "b_limit": batch + len(skipped)})
            rows = [r for r in page if r.customer_ref not in skipped]
            if not rows:
                return moved
            for r in rows:
                key = vault.keywrap.unwrap(r.customer_ref, r.kek_id, bytes(r.key))
                kid, blob = vault.keywrap.wrap(r.customer_ref, key)
                done = conn.execute(_REWRAP, {"b_ref": r.customer_ref, "b_old": r.key, "b_new": blob, "b_kid": kid})
                if done.rowcount == 1:
                    moved[r.kek_id or "unwrapped"] = moved.get(r.kek_id or "unwrapped", 0) + 1
                else:
                    skipped.add(r.customer_ref)
