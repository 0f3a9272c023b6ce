"""The read model's pure core: what a case looks like to support staff, worked out from its events.

Owns: the case document and its fold (`casedoc.advance`, `fold.fold`), the typed views
(`model`), the canonical event order (`order`), timeline entries (`timeline`), the KPIs
(`kpis`) and the queue's filters, sorts and cursors in Python (`queue`).

May import: `complaints.domain` (the lifecycle rules, the policy), `complaints.envelope`,
`complaints.settings` (the default policy file), `schemas`, pydantic and the standard library.
Never: a database, Kafka, FastAPI or anything under `services/` (pyproject.toml's
import-linter contracts, checked by tests/unit/test_architecture.py).
"""
