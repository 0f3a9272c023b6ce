"""deploy/Dockerfile: linted by hadolint (every rule), and built the way the deployment needs."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.unit.deploy.tools import DOCKERFILE, ROOT, clean_env, tool


def hadolint(dockerfile: Path, tmp_path: Path) -> list[dict[str, object]]:
    config = tmp_path / "hadolint.yaml"
    config.write_text("ignored: []\nfailure-threshold: style\n")  # nothing ignored, fail on anything
    out = subprocess.run(
        [tool("hadolint"), "--config", str(config), "--format", "json", "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert out.stdout.strip(), out.stderr
    findings: list[dict[str, object]] = json.loads(out.stdout)
    assert (out.returncode == 0) == (not findings), out.stderr
    return findings


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


@pytest.fixture(scope="module")
def steps() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text())


def test_hadolint_finds_nothing(tmp_path: Path) -> None:
    findings = hadolint(DOCKERFILE, tmp_path)
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)


def test_hadolint_really_lints(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && pip install requests\nCMD python -m http.server\n")
    codes = {f["code"] for f in hadolint(bad, tmp_path)}
    assert {"DL3007", "DL3003", "DL3013", "DL3025"} <= codes


def test_multi_stage_with_a_pinned_slim_python_matching_the_project(steps: list[tuple[str, str]]) -> None:
    args = dict(re.findall(r"(\w+)=(\S+)", " ".join(a for i, a in steps if i == "ARG")))
    image = args["PYTHON_IMAGE"]
    match = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim-\w+", image)
    assert match, f"base image {image!r} is not a pinned slim python"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f"{match[1]}.{match[2]}" in requires
    froms = [a for i, a in steps if i == "FROM"]
    assert len(froms) >= 2
    assert all(a.startswith("${PYTHON_IMAGE} AS ") for a in froms)


def test_pinned_dependencies_then_the_project_without_resolving(steps: list[tuple[str, str]]) -> None:
    runs = [a for i, a in steps if i == "RUN"]
    assert any("pip install --no-deps -r requirements.lock" in r for r in runs)
    assert any(re.search(r"pip install --no-deps \.(\s|$)", r) for r in runs)


def test_runs_as_non_root_with_exec_form_entrypoint(steps: list[tuple[str, str]]) -> None:
    final = steps[max(i for i, (ins, _) in enumerate(steps) if ins == "FROM") :]
    users = [a for i, a in final if i == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    entry = [a for i, a in final if i == "ENTRYPOINT"]
    cmd = [a for i, a in final if i == "CMD"]
    assert json.loads(entry[-1]) == ["complaints"]  # exec form: SIGTERM reaches the process
    assert isinstance(json.loads(cmd[-1]), list)


def test_image_defaults_suit_containers(steps: list[tuple[str, str]]) -> None:
    env = " ".join(a for i, a in steps if i == "ENV")
    assert "COMPLAINTS_HOST=0.0.0.0" in env
    assert "COMPLAINTS_BROKER_PROFILE=kafka" in env
    assert "COMPLAINTS_POLICY_FILE=/etc/complaints/policy.yaml" in env
    assert "deploy/policy.yaml /etc/complaints/policy.yaml" in " ".join(a for i, a in steps if i == "COPY")
    exposed = {int(p) for a in (a for i, a in steps if i == "EXPOSE") for p in a.split()}
    assert exposed == {8000, 8001, 8002, 8003, 8004}


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore semantics, enough for these paths (last match wins, `**/` = any depth)."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]  # the path and its parents
    verdict = False
    for pat in patterns:
        negate = pat.startswith("!")
        pat = pat.lstrip("!").strip("/")
        anywhere = pat.startswith("**/")
        pat = pat.removeprefix("**/")
        for cand in candidates:
            names = [cand] + (
                ["/".join(cand.split("/")[j:]) for j in range(1, cand.count("/") + 1)] if anywhere else []
            )
            if any(fnmatch.fnmatch(n, pat) for n in names):
                verdict = not negate
    return verdict


def test_everything_copied_exists_and_is_in_the_build_context(steps: list[tuple[str, str]]) -> None:
    patterns = dockerignore_patterns()
    copies = [a for i, a in steps if i == "COPY" and "--from=" not in a]
    assert copies
    for args in copies:
        parts = [p for p in args.split() if not p.startswith("--")]
        for src in parts[:-1]:
            assert (ROOT / src).exists(), f"COPY {src}: no such file in the repository"
            assert not ignored(src, patterns), f"COPY {src}: excluded by .dockerignore"


def test_dockerignore_keeps_local_state_out() -> None:
    patterns = dockerignore_patterns()
    for path in (
        ".git",
        ".venv",
        ".tools",
        "var",
        ".env",
        "tests",
        "complaints/__pycache__",
        "schemas/__pycache__/x.pyc",
    ):
        assert ignored(path, patterns), path
