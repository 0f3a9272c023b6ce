"""Staff can read what the customer wrote (lead/admin, with a reason); every read is on the access log."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tests.integration.auth.conftest import complain, wait_events
from tests.stack import Stack, service_env
from tests.tokens import bearer

CUSTOMER = {"email": "rosa.personal@example.com", "name": "Rosa Personal", "phone": "+1 555 0100"}
WORDS = "The sandwich had peanuts and I am allergic"


def test_a_lead_reads_the_customers_words_and_every_read_is_logged_and_kept_after_erasure(stack: Stack) -> None:
    settings = stack.settings
    cid, _ = complain(stack, channel="in_person", customer=CUSTOMER, description=WORDS,
                      amount_at_stake={"amount": "8.50", "currency": "USD"})
    wait_events(settings, cid, "ComplaintReceived", "RecoveryOffered")
    answered = httpx.post(f"{stack['followup'].url}/complaints/{cid}/follow-up", timeout=10,
                          json={"satisfied": True, "csat": 4, "comment": "Thanks, Rosa here: much better"},
                          headers=bearer(settings, "sam-senior", level="executive"))
    assert answered.status_code == 202, answered.text
    position = answered.json()["positions"][0]
    url = f"{stack['projections'].url}/complaints/{cid}/personal-data"
    lead = bearer(settings, "lee-lead", roles=["lead"])
    reason = {"reason": "Customer called back about an allergy; need her phone number"}

    assert httpx.post(url, json=reason, timeout=10).status_code == 401
    assert httpx.post(url, json=reason, headers=bearer(settings, "ann-agent"), timeout=10).status_code == 403
    assert httpx.post(url, json=reason, headers=bearer(settings, "crm", roles=["integration"]),
                      timeout=10).status_code == 403
    no_reason = httpx.post(url, json={}, headers=lead, timeout=10)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"

    read = httpx.post(url, json=reason, params={"min_position": position}, headers=lead, timeout=30)
    assert read.status_code == 200, read.text
    data = read.json()
    assert data["contact"] == {"email": CUSTOMER["email"], "name": CUSTOMER["name"], "phone": CUSTOMER["phone"]}
    assert data["description"] == WORDS
    assert [c["comment"] for c in data["comments"]] == ["Thanks, Rosa here: much better"]
    assert data["comments"][0]["recorded_by"] == "sam-senior"

    log_url = f"{stack['projections'].url}/complaints/{cid}/access-log"
    assert httpx.get(log_url, headers=bearer(settings, "ann-agent"), timeout=10).status_code == 403
    [entry] = httpx.get(log_url, headers=lead, timeout=10).json()["reads"]
    assert (entry["staff_id"], entry["reason"], entry["outcome"]) == ("lee-lead", reason["reason"], "disclosed")
    assert entry["access_id"] == data["access_id"] and entry["customer_ref"] == data["customer_ref"]

    erased = subprocess.run([sys.executable, "-m", "complaints.cli", "erase-customer", data["customer_ref"]],
                            env=service_env(settings), capture_output=True, text=True, timeout=60)
    assert erased.returncode == 0, erased.stderr
    admin = bearer(settings, "ada-admin", roles=["admin"])
    gone = httpx.post(url, json={"reason": "Audit of the erasure request"}, headers=admin, timeout=30)
    assert gone.status_code == 410, gone.text
    assert "erased" in gone.json()["detail"]["message"] and "can no longer be read" in gone.json()["detail"]["message"]
    reads = httpx.get(log_url, headers=admin, timeout=10).json()["reads"]
    assert [(r["staff_id"], r["outcome"]) for r in reads] == [("lee-lead", "disclosed"), ("ada-admin", "erased")]


def test_no_name_or_email_from_a_token_or_the_customer_reaches_the_services_logs(stack: Stack) -> None:
    settings = stack.settings
    cid, position = complain(stack, channel="web", customer={"email": "quiet.logs@example.com", "name": "Quiet Logs"},
                             description="Nothing of mine in your logs")
    key = load_pem_private_key(settings.auth_dev_key_file.read_bytes(), None)
    now = datetime.now(UTC)
    named = jwt.encode({"sub": "nina", "roles": ["lead"], "name": "Nina Staffname", "email": "nina@corp.example",
                        "iss": settings.auth_issuer, "aud": settings.auth_audience, "iat": now,
                        "exp": now + timedelta(hours=1)}, key, algorithm="EdDSA")  # type: ignore[arg-type]
    headers = {"authorization": f"Bearer {named}"}
    url = f"{stack['projections'].url}/complaints/{cid}/personal-data"
    read = httpx.post(url, json={"reason": "Checking what we log"}, params={"min_position": position},
                      headers=headers, timeout=30)
    assert read.status_code == 200, read.text
    for name in ("recovery", "escalation", "followup", "projections", "intake"):
        httpx.get(f"{stack[name].url}/stats", headers=headers, timeout=10)
    logs = "".join(svc.log.read_text() for svc in stack.services.values())
    for secret in ("Nina Staffname", "nina@corp.example", "quiet.logs@example.com", "Quiet Logs"):
        assert secret not in logs
