"""`POST /what-if` (roles lead and admin): the `complaints what-if` report over HTTP, for the console.

The body is the candidate policy as YAML (at most `MAX_POLICY_BYTES`); `from`/`to` bound the cases
by arrival, `to` (default now) is also the as-of. The recorded history is read from the lifecycle
topics, read-only (`complaints/whatif/history.py`), and re-decided by the domain
(`complaints/domain/whatif.py`): nothing is published or written. A policy that does not load is
answered 422 with every offending key, as `load_policy` names them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from complaints.auth.http import StaffDep
from complaints.domain.policy import PolicyError, parse_policy
from complaints.domain.whatif import Report
from complaints.whatif.history import read_history
from complaints.whatif.run import report
from services.projections.api.deps import RuntimeDep, Window

router = APIRouter(tags=["policy"])
MAX_POLICY_BYTES = 64 * 1024  # the shipped policy is ~10 KB
YAML_BODY = {"content": {"application/yaml": {"schema": {"type": "string"}}}, "required": True,
             "description": "The candidate policy, as a policy file (docs/policy.md)."}


@router.post("/what-if", response_model=Report, openapi_extra={"requestBody": YAML_BODY},
             responses={413: {"description": "The policy is larger than 64 KiB"},
                        422: {"description": "The body is not a valid policy (each problem names its key)"}})
async def post_what_if(request: Request, _: StaffDep, runtime: RuntimeDep, received: Window) -> Report:
    """Re-decide the recorded history under the candidate policy: what would differ (read-only)."""
    raw = await request.body()
    if len(raw) > MAX_POLICY_BYTES:
        raise HTTPException(413, f"the policy is {len(raw)} bytes: at most {MAX_POLICY_BYTES} are accepted")
    try:
        candidate = parse_policy(yaml.safe_load(raw.decode("utf-8")), "body")
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise HTTPException(422, {"message": f"body: not a YAML policy file ({exc})", "problems": ["body"]}) from None
    except PolicyError as exc:
        raise HTTPException(422, {"message": str(exc), "problems": list(exc.problems)}) from None
    start, end = received
    as_of = end or datetime.now(UTC)

    def compute() -> Report:
        return report(read_history(runtime.settings, start, end), candidate, as_of)

    return await run_in_threadpool(compute)
