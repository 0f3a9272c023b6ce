"""Each service's published OpenAPI document tells the truth: schemathesis against the real processes.

Every operation of the five documents gets generated requests, valid and invalid, under every
schemathesis check: no 5xx, no undocumented status code, responses matching their schema,
content types and headers as documented, invalid requests refused, valid requests accepted.
The run is bounded (`EXAMPLES` per operation in the suite, `FULL_EXAMPLES` behind `scripts/test-heavy`;
fixed seed, one worker) so the suite stays fast and a failure reproduces (`st replay <id>` is printed
with it). Path parameters name a real,
seeded case, so the workers' and projections' routes reach their logic, not only 404s.

The one destructive route, the erasure of a customer, is run last and alone: schemathesis reuses
values from responses, so within a run it erases the seeded case's own customer (whose reference
the case view shows), and every later read of that case's personal data rightly answers 410 —
which schemathesis then reports as an operation that "mostly rejected generated data".

The schemathesis CLI is used rather than its pytest plugin (whose lazy fixtures do not run on
pytest 9). Staff endpoints take the headers of `staff_headers`, the one place the bearer token
is made.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from complaints.settings import ROOT, Settings
from tests.stack import Stack
from tests.tokens import bearer

EXAMPLES = 6  # per operation, in the suite
FULL_EXAMPLES = 30  # the heavy run (scripts/test-heavy)
SEED = 20261201
SERVICES = ("intake", "projections", "escalation", "recovery", "followup")
SEEDED = {"channel": "web", "customer": {"email": "contract@example.com"}, "description": "I was charged twice",
          "amount_at_stake": {"amount": "12.50", "currency": "USD"}}


@pytest.fixture(scope="module")
def stack(module_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    quick = module_settings.model_copy(update={"projections_read_wait_s": 0.2})  # a 409 need not take 5 s
    # The shipped policy, not the fast test one: the seeded case must stay as it is while the runs
    # go on (the fast policy closes it within seconds, and every follow-up would then be a 409).
    running = Stack(quick, tmp_path_factory.mktemp("logs"), policy=ROOT / "deploy" / "policy.yaml")
    try:
        yield running.start(*SERVICES)
    finally:
        running.stop()


@pytest.fixture(scope="module")
def staff_headers(module_settings: Settings) -> dict[str, str]:
    """The ONE place the caller's identity is set: a token that may call every staff route."""
    return bearer(module_settings, "contract", level="executive", roles=["agent", "lead", "admin"],
                  departments=["product", "finance", "hr", "privacy_legal", "operations"])


@pytest.fixture(scope="module")
def case_id(stack: Stack, staff_headers: dict[str, str]) -> str:
    """A real case, projected, for every `{complaint_id}` the runs generate."""
    reply = httpx.post(f"{stack['intake'].url}/complaints", json=SEEDED, timeout=10)
    assert reply.status_code == 202, reply.text
    accepted = reply.json()
    seen = httpx.get(f"{stack['projections'].url}/complaints/{accepted['complaint_id']}",
                     params={"min_position": accepted["position"]}, headers=staff_headers, timeout=30)
    for _ in range(50):  # the read wait is short here: ask again until projected
        if seen.status_code != 409:
            break
        seen = httpx.get(f"{stack['projections'].url}/complaints/{accepted['complaint_id']}",
                         params={"min_position": accepted["position"]}, headers=staff_headers, timeout=30)
    assert seen.status_code == 200, seen.text
    return str(accepted["complaint_id"])


#: What a schema-valid request may be answered: schemathesis' defaults (no 410: nothing is erased before
#: the last run, so a schema-valid read of the seeded case always finds its personal data).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
#: The route that destroys what the others read: run after every other run, on its own.
ERASURE = "/customers/{customer_ref}/erasure"
#: POST /what-if takes a policy file as YAML: no JSON Schema tells a valid policy from any other string, so a
#: schema-valid body may be refused 422, as documented, naming every offending key (a policy that does not load).
WHAT_IF = "/what-if"


def write_config(path: Path, url: str, case_id: str, headers: dict[str, str],
                 accepted: list[str] = ACCEPTED) -> Path:
    """The run's config: the real case, and the staff token as each documented security scheme's bearer."""
    document = httpx.get(f"{url}/openapi.json", timeout=10).json()
    schemes = document.get("components", {}).get("securitySchemes", {})
    token = headers.get("authorization", "").removeprefix("Bearer ")
    lines = [f'[parameters]\ncomplaint_id = "{case_id}"\n',
             f"[checks.positive_data_acceptance]\nexpected-statuses = {accepted!r}\n".replace("'", '"')]
    lines += [f'[auth.openapi.{name}]\nbearer = "{token}"\n' for name in schemes if token]
    path.write_text("\n".join(lines))
    return path


def run_schemathesis(url: str, config: Path, *select: str, examples: int = FULL_EXAMPLES
                     ) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config), "run",
               f"{url}/openapi.json", "--checks", "all", "--mode", "all", "--max-examples", str(examples),
               "--seed", str(SEED), "--workers", "1", "--generation-database", "none", "--no-color",
               "--request-timeout", "10", *select]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=config.parent,  # its cache there
                          env={**os.environ, "NO_COLOR": "1"})


def assert_truthful(service: str, out: subprocess.CompletedProcess[str]) -> None:
    report = out.stdout[-15000:] + out.stderr[-3000:]
    assert out.returncode == 0, f"schemathesis found mismatches in {service}'s OpenAPI:\n{report}"
    # Every check passed (exit 0); no warning either (e.g. an operation that "mostly rejected generated data").
    assert "No issues found" in out.stdout, report


@pytest.mark.parametrize("examples", [EXAMPLES, pytest.param(FULL_EXAMPLES, marks=pytest.mark.heavy)])
@pytest.mark.parametrize("service", SERVICES)
def test_the_openapi_document_tells_the_truth(service: str, examples: int, stack: Stack, case_id: str,
                                              staff_headers: dict[str, str], tmp_path: Path) -> None:
    config = write_config(tmp_path / "schemathesis.toml", stack[service].url, case_id, staff_headers)
    # The two routes run alone below: erasure destroys what the others read; what-if takes YAML.
    later = ("--exclude-path", ERASURE, "--exclude-path", WHAT_IF) if service == "projections" else ()
    assert_truthful(service, run_schemathesis(stack[service].url, config, *later, examples=examples))


def test_the_erasure_route_tells_the_truth_too(stack: Stack, case_id: str, staff_headers: dict[str, str],
                                               tmp_path: Path) -> None:
    """After the runs that read personal data: it may erase the seeded customer, whose data they read."""
    url = stack["projections"].url
    config = write_config(tmp_path / "schemathesis.toml", url, case_id, staff_headers)
    out = run_schemathesis(url, config, "--include-path", ERASURE)
    assert "1 selected" in out.stdout, out.stdout[-3000:]  # the route exists and was run, not filtered away
    assert_truthful("projections", out)


def test_the_what_if_route_tells_the_truth(stack: Stack, case_id: str, staff_headers: dict[str, str],
                                           tmp_path: Path) -> None:
    """Its body is a policy as YAML: a schema-valid string may be refused 422 (documented), and schemathesis'
    heuristic then warns that the operation "mostly rejected generated data" — that warning, for this one
    operation, is the only one tolerated; every check must still pass."""
    url = stack["projections"].url
    config = write_config(tmp_path / "schemathesis.toml", url, case_id, staff_headers, [*ACCEPTED, "422"])
    out = run_schemathesis(url, config, "--include-path", WHAT_IF)
    report = out.stdout[-15000:] + out.stderr[-3000:]
    assert "1 selected" in out.stdout, report
    assert out.returncode == 0, f"schemathesis found mismatches in POST /what-if:\n{report}"
    flagged = {line.strip() for line in out.stdout.splitlines() if line.startswith("  - ")}
    assert "No issues found" in out.stdout or flagged <= {"- POST /what-if"}, report
