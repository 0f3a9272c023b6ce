"""deploy/prometheus and deploy/grafana: valid for the real tools, and about metrics that exist.

`promtool` (Debian's `prometheus` package, installed by scripts/install-tools.sh) checks the
scrape config and the alert rules and runs the rules' unit tests; every query of the dashboard
and of the rules names a metric, and labels, that the services' registry defines.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

import complaints.observability.metrics as metrics
from tests.unit.deploy.tools import ROOT

PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "complaints.json"
RULE_TESTS = Path(__file__).parent / "prometheus" / "alerts_test.yml"
#: Labels Prometheus adds to every series (target labels) or to histogram buckets.
TARGET_LABELS = {"job", "instance", "le"}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: run scripts/install-tools.sh"
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)


def exposed() -> dict[str, set[str]]:
    """Every sample name the services' metrics can produce -> that metric's label names."""
    out: dict[str, set[str]] = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            labels = set(value._labelnames)
            name, kind = value._name, str(value._type)
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(kind, [""])
            for suffix in suffixes:
                out[name + suffix] = labels
    families = {f.name for f in REGISTRY.collect()}
    assert {n.removesuffix("_total") for n in out if n.endswith("_total")} <= families  # registered, once
    return out


def queries() -> list[tuple[str, str]]:
    """(where, PromQL) for every dashboard target and every alert rule."""
    dash = json.loads(DASHBOARD.read_text())
    found = [(p["title"], t["expr"]) for p in dash["panels"] for t in p["targets"]]
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    found += [(r["alert"], r["expr"]) for g in rules["groups"] for r in g["rules"]]
    return found


def test_promtool_accepts_the_scrape_config_and_its_rules() -> None:
    out = promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 rule files found" in out.stdout


def test_promtool_accepts_the_alert_rules() -> None:
    out = promtool("check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert out.returncode == 0, out.stdout + out.stderr


def test_alerts_fire_when_they_should_and_only_then() -> None:
    out = promtool("test", "rules", str(RULE_TESTS))
    assert out.returncode == 0, out.stdout + out.stderr


def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    broken = tmp_path / "alerts.yml"
    broken.write_text((PROMETHEUS / "alerts.yml").read_text().replace("> 60", "> > 60"))
    assert promtool("check", "rules", str(broken)).returncode != 0


def test_alert_rules_cover_lag_dead_letters_sla_breaches_and_stalled_timers() -> None:
    names = {name for name, _ in queries()}
    assert {"ConsumerLagHigh", "DeadLettersGrowing", "SlaBreachRateHigh", "TimersStalled"} <= names


def test_the_dashboard_is_valid_grafana_json_with_the_panels_an_operator_needs() -> None:
    dash: dict[str, Any] = json.loads(DASHBOARD.read_text())
    assert dash["uid"] and dash["title"] and dash["schemaVersion"] >= 36
    titles = " | ".join(p["title"] for p in dash["panels"]).lower()
    for topic in ("intake rate", "intake latency", "lag", "sla attainment", "sla breaches", "dead letters",
                  "recovery rate"):
        assert topic in titles
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dash["panels"]:
        assert panel["targets"] and all(t["expr"] and t["datasource"]["uid"] == "prometheus" for t in panel["targets"])
    source = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert source["datasources"][0]["uid"] == "prometheus"


@pytest.mark.parametrize(("where", "expr"), queries(), ids=[w for w, _ in queries()])
def test_every_query_names_metrics_and_labels_the_services_expose(where: str, expr: str) -> None:
    known = exposed()
    named = set(re.findall(r"\b(complaints_[a-z_]+)\b", expr))
    assert named or expr.startswith("up "), f"{where}: no metric of ours in {expr}"
    assert named <= set(known), f"{where}: unknown metric(s) {sorted(named - set(known))}"
    for name, selector in re.findall(r"\b(complaints_[a-z_]+)\{([^}]*)\}", expr):
        used = set(re.findall(r"([a-z_]+)\s*=~?", selector))
        assert used <= known[name] | TARGET_LABELS, f"{where}: {name} has no label(s) {used - known[name]}"
    for grouping in re.findall(r"\bby \(([^)]*)\)", expr):
        used = {label.strip() for label in grouping.split(",")}
        labels = set().union(*(known[n] for n in named)) | TARGET_LABELS
        assert used <= labels, f"{where}: grouping by unknown label(s) {used - labels}"


def test_prometheus_scrapes_every_service_on_its_port() -> None:
    from complaints.devstack import SERVICES
    from complaints.settings import Settings

    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job["dns_sd_configs"][0] for job in config["scrape_configs"]}
    assert set(jobs) == {s.name for s in SERVICES}
    for svc in SERVICES:
        assert jobs[svc.name]["names"] == [svc.name]  # the compose service: every replica
        assert jobs[svc.name]["port"] == Settings.model_fields[svc.port_setting].default


def test_compose_runs_pinned_prometheus_and_grafana_with_this_config(tmp_path: Path) -> None:
    from tests.unit.deploy.tools import compose_model

    env = tmp_path / "test.env"
    env.write_text("COMPLAINTS_PII_LOOKUP_SECRET=compose-test-secret\nCOMPLAINTS_CUSTOMER_LINK_SECRET=link-secret\n")
    services = compose_model(env)["services"]
    prometheus, grafana = services["prometheus"], services["grafana"]
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", prometheus["image"])
    assert re.fullmatch(r"grafana/grafana:\d+\.\d+\.\d+", grafana["image"])
    binds = [v for s in (prometheus, grafana) for v in s["volumes"] if v["type"] == "bind"]
    mounts = {Path(v["source"]): v["target"] for v in binds}
    assert mounts[PROMETHEUS] == "/etc/prometheus"
    assert mounts[ROOT / "deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    assert mounts[ROOT / "deploy/grafana/dashboards"] == "/var/lib/grafana/dashboards"
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    for svc in (prometheus, grafana):
        assert svc["restart"] == "unless-stopped" and svc["healthcheck"]["test"][0] == "CMD"
