"""The import rules of docs/architecture.md hold (import-linter, contracts in pyproject.toml).

The domain and the read model's core import no I/O framework, the projections service is
layered (wiring > api > ingest > storage > read model core > domain), and no two modules
of the read side import each other, directly or through others.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
        "--no-cache", "--no-logo"]


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LINT, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_the_code_keeps_every_import_contract() -> None:
    run = lint(ROOT, "--config", "pyproject.toml")
    assert run.returncode == 0, run.stdout + run.stderr
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert f"{len(contracts)} kept, 0 broken" in run.stdout


def test_a_cycle_between_sibling_modules_breaks_the_contract(tmp_path: Path) -> None:
    pkg = tmp_path / "side"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "fold.py").write_text("from side import queries\n")
    (pkg / "queries.py").write_text("from side import fold\n")
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.importlinter]
        root_packages = ["side"]

        [[tool.importlinter.contracts]]
        name = "No import cycle"
        type = "acyclic_siblings"
        ancestors = ["side"]
        """))
    run = lint(tmp_path, "--config", "pyproject.toml")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "0 kept, 1 broken" in run.stdout


def test_every_file_the_architecture_page_names_exists() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text()
    named = {m for m in re.findall(r"`([\w./-]+\.(?:py|md|yaml))`", page) if "/" in m}
    bases = [ROOT, ROOT / "services" / "projections", ROOT / "complaints", ROOT / "docs"]
    missing = sorted(m for m in named if not any((base / m).is_file() for base in bases))
    assert len(named) > 30 and not missing, missing


def test_the_architecture_tree_lists_every_read_side_module() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text()
    modules = [p for pkg in ("complaints/readmodel", "services/projections") for p in (ROOT / pkg).rglob("*.py")
               if p.name not in ("__init__.py", "__main__.py")]
    unlisted = sorted(str(p.relative_to(ROOT)) for p in modules if not re.search(rf"\b{re.escape(p.name)}\b", page))
    assert len(modules) > 25 and not unlisted, unlisted
