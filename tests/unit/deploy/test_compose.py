"""docker-compose.yml: valid per the Compose Specification (Docker Compose v2 itself), and in
agreement with the code: every service, topic, port and environment variable it reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from complaints.devstack import SERVICES
from complaints.settings import Settings
from complaints.topics import TOPIC_CONFIG
from tests.unit.deploy.tools import COMPOSE_FILE, ROOT, run_compose

APP_SERVICES = {s.name: s for s in SERVICES}
WORKERS = {"escalation", "recovery", "followup"}
#: Settings fields that are deliberately absent from the containers' environment, and why.
NOT_IN_COMPOSE = {"broker_port": "port of the embedded dev broker; only `complaints dev` reads it"}


def env_var(field: str) -> str:
    """The environment variable a Settings field is read from (its alias, else COMPLAINTS_<FIELD>)."""
    info = Settings.model_fields[field]
    alias = info.validation_alias
    if alias is not None:
        choices = getattr(alias, "choices", [alias])
        return str(choices[0])
    return f"COMPLAINTS_{field.upper()}"


def settings_vars() -> dict[str, str]:
    return {env_var(f): f for f in Settings.model_fields if f not in NOT_IN_COMPOSE}


@pytest.fixture(scope="module")
def env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compose") / "test.env"
    path.write_text("COMPLAINTS_PII_LOOKUP_SECRET=compose-test-secret\nCOMPLAINTS_CUSTOMER_LINK_SECRET=link-secret\n"
                    "COMPLAINTS_VAULT_MASTER_KEY=mk-1:" + "A" * 43 + "=\n")
    return path


@pytest.fixture(scope="module")
def model(env_file: Path) -> dict[str, Any]:
    from tests.unit.deploy.tools import compose_model

    return compose_model(env_file)


@pytest.fixture(scope="module")
def services(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return model["services"]  # type: ignore[no-any-return]


# --- the real tool --------------------------------------------------------------------------


def test_compose_file_is_valid_per_the_compose_specification(env_file: Path) -> None:
    out = run_compose(["config", "--quiet"], env_file=env_file, check=False)
    assert out.returncode == 0, out.stderr


def test_the_validator_rejects_what_the_specification_forbids(env_file: Path, tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    text = COMPOSE_FILE.read_text().replace(
        "    restart: unless-stopped\n", "    restart: unless-stopped\n    colour: blue\n", 1
    )
    broken.write_text(text)
    out = run_compose(["config", "--quiet"], env_file=env_file, compose_file=broken, check=False)
    assert out.returncode != 0
    assert "colour" in out.stderr


@pytest.mark.parametrize(("given", "missing"), [
    ("COMPLAINTS_CUSTOMER_LINK_SECRET=y\nCOMPLAINTS_VAULT_MASTER_KEY=mk-1:x\n", "COMPLAINTS_PII_LOOKUP_SECRET"),
    ("COMPLAINTS_PII_LOOKUP_SECRET=x\nCOMPLAINTS_VAULT_MASTER_KEY=mk-1:x\n", "COMPLAINTS_CUSTOMER_LINK_SECRET"),
])
def test_the_secrets_must_be_set(tmp_path: Path, given: str, missing: str) -> None:
    partial = tmp_path / "partial.env"
    partial.write_text(given)
    out = run_compose(["config", "--quiet"], env_file=partial, check=False)
    assert out.returncode != 0
    assert missing in out.stderr and "deploy/README.md" in out.stderr


def test_vault_master_key_must_be_set(tmp_path: Path) -> None:
    only_lookup = tmp_path / "lookup.env"
    only_lookup.write_text("COMPLAINTS_PII_LOOKUP_SECRET=x\nCOMPLAINTS_CUSTOMER_LINK_SECRET=y\n")
    out = run_compose(["config", "--quiet"], env_file=only_lookup, check=False)
    assert out.returncode != 0
    assert "COMPLAINTS_VAULT_MASTER_KEY" in out.stderr and "deploy/README.md" in out.stderr


# --- services -------------------------------------------------------------------------------


def test_every_service_of_the_code_is_in_compose(services: dict[str, Any]) -> None:
    assert set(APP_SERVICES) == {"intake", "escalation", "recovery", "followup", "projections", "notifier", "console"}
    assert set(services) == {*APP_SERVICES, "kafka", "postgres", "topics", "prometheus", "grafana",
                             "projections-replica", "notifier-replica"}  # complaints/topology.py's replicas


def test_one_image_from_deploy_dockerfile_runs_every_service(services: dict[str, Any]) -> None:
    images = {services[n]["image"] for n in [*APP_SERVICES, "topics"]}
    assert len(images) == 1
    for name in [*APP_SERVICES, "topics"]:
        build = services[name]["build"]
        assert Path(build["context"]) == ROOT
        assert build["dockerfile"] == "deploy/Dockerfile"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_service_command_runs_that_service(services: dict[str, Any], name: str) -> None:
    svc = services[name]
    assert svc["command"] == ["run", name]
    assert not svc.get("entrypoint")  # the image's exec-form ENTRYPOINT ["complaints"]


def test_the_cli_knows_the_commands_compose_runs() -> None:
    import typer.main

    from complaints.cli import app

    cli = typer.main.get_command(app)
    assert "run" in cli.commands  # type: ignore[attr-defined]
    topics = cli.commands["topics"]  # type: ignore[attr-defined]
    assert {"create", "verify"} <= set(topics.commands)


def test_topics_init_creates_then_verifies_once(services: dict[str, Any]) -> None:
    topics = services["topics"]
    script = " ".join(topics["entrypoint"])
    assert "complaints topics create" in script and "complaints topics verify" in script
    assert topics["restart"] == "no"
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "healthcheck" not in topics and "ports" not in topics


def test_one_shot_services_are_adopted_so_up_wait_succeeds(services: dict[str, Any]) -> None:
    """`docker compose up --wait` fails on an exited container unless a long-running service
    depends on it with `service_completed_successfully`."""
    one_shots = {n for n, s in services.items() if s.get("restart", "no") == "no"}
    assert one_shots == {"topics"}
    for name in one_shots:
        adopters = [
            n
            for n, s in services.items()
            if s.get("depends_on", {}).get(name, {}).get("condition") == "service_completed_successfully"
        ]
        assert adopters, f"{name} is adopted by no running service"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_service_waits_for_healthy_dependencies(services: dict[str, Any], name: str) -> None:
    deps = services[name]["depends_on"]
    assert deps["kafka"]["condition"] == "service_healthy"
    assert deps["postgres"]["condition"] == "service_healthy"
    assert deps["topics"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_service_restarts_and_stops_gracefully(services: dict[str, Any], name: str) -> None:
    svc = services[name]
    assert svc["restart"] == "unless-stopped"
    assert svc.get("init") is True  # an init as PID 1 forwards SIGTERM to `complaints`
    assert "container_name" not in svc  # would forbid --scale


# --- ports and health ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_service_port_is_the_one_the_code_uses(services: dict[str, Any], name: str) -> None:
    svc = services[name]
    field = APP_SERVICES[name].port_setting
    port = Settings.model_fields[field].default
    assert svc["environment"][env_var(field)] == str(port)
    [published] = svc["ports"]
    assert published["target"] == port
    health = svc["healthcheck"]
    assert health["test"][0] == "CMD"
    assert f"http://127.0.0.1:{port}/health" in " ".join(health["test"])
    for key in ("interval", "timeout", "retries", "start_period"):
        assert key in health


@pytest.mark.parametrize("name", sorted(WORKERS))
def test_workers_can_scale(services: dict[str, Any], name: str) -> None:
    """`docker compose up --scale escalation=3`: no fixed host port, no container name."""
    svc = services[name]
    assert "container_name" not in svc
    for port in svc.get("ports", []):
        assert not port.get("published"), f"{name} publishes a fixed host port {port}"


def test_no_two_services_publish_the_same_host_port(services: dict[str, Any]) -> None:
    fixed = [
        (p.get("host_ip", ""), p["published"])
        for s in services.values()
        for p in s.get("ports", [])
        if p.get("published")
    ]
    assert len(fixed) == len(set(fixed))


# --- environment ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted([*APP_SERVICES, "topics"]))
def test_every_setting_the_code_reads_is_in_the_environment(services: dict[str, Any], name: str) -> None:
    env = services[name]["environment"]
    missing = sorted(set(settings_vars()) - set(env))
    assert not missing, f"{name} lacks {missing} (complaints/settings.py reads them)"
    unknown = sorted(k for k in env if k.startswith("COMPLAINTS_") and k not in settings_vars())
    assert not unknown, f"{name} sets {unknown}, which complaints/settings.py does not read"


@pytest.mark.parametrize("name", sorted([*APP_SERVICES, "topics"]))
def test_the_environment_is_valid_settings(
    services: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in [*settings_vars(), *(env_var(f) for f in NOT_IN_COMPOSE)]:
        monkeypatch.delenv(var, raising=False)
    for key, value in services[name]["environment"].items():
        monkeypatch.setenv(key, value or "")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.broker_profile == "kafka"
    assert s.host == "0.0.0.0"
    assert s.kafka_bootstrap_servers == "kafka:19092"
    assert s.partitions == Settings.model_fields["partitions"].default == 6
    assert s.replication_factor == 1  # one broker
    assert str(s.policy_file) == "/etc/complaints/policy.yaml"  # where the Dockerfile puts it
    for url in (s.database_url, s.projections_database_url, s.vault_url):
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url


def test_databases_in_the_urls_are_created_by_postgres(model: dict[str, Any], services: dict[str, Any]) -> None:
    pg = services["postgres"]
    created = {pg["environment"]["POSTGRES_DB"]}
    created |= set(re.findall(r"CREATE DATABASE (\w+)", model["configs"]["postgres-databases"]["content"]))
    env = services["intake"]["environment"]
    wanted = {
        urlsplit(env[v]).path.lstrip("/")
        for v in ("COMPLAINTS_DATABASE_URL", "COMPLAINTS_PROJECTIONS_DATABASE_URL", "COMPLAINTS_VAULT_URL")
    }
    assert wanted == created == {"complaints", "projections", "vault"}
    user = pg["environment"]["POSTGRES_USER"]
    assert all(urlsplit(env[v]).username == user for v in ("COMPLAINTS_DATABASE_URL", "COMPLAINTS_VAULT_URL"))


# --- infrastructure ------------------------------------------------------------------------------


def test_kafka_is_a_pinned_single_kraft_node_with_auto_create_off(services: dict[str, Any]) -> None:
    kafka = services["kafka"]
    assert re.fullmatch(r"apache/kafka:\d+\.\d+\.\d+", kafka["image"])
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    for key in (
        "KAFKA_DEFAULT_REPLICATION_FACTOR",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_MIN_INSYNC_REPLICAS",
    ):
        assert env[key] == "1", key
    [volume] = kafka["volumes"]
    assert volume["type"] == "volume" and volume["target"] == env["KAFKA_LOG_DIRS"]
    # the advertised listener the services use is the one they are configured with
    internal = services["intake"]["environment"]["KAFKA_BOOTSTRAP_SERVERS"]
    assert f"INTERNAL://{internal}" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "INTERNAL"


def test_kafka_healthcheck_is_a_real_client_round_trip(services: dict[str, Any]) -> None:
    health = services["kafka"]["healthcheck"]
    assert health["test"][0] == "CMD"
    command = " ".join(health["test"][1:])
    # a Kafka client request through the broker (not a port probe, not `true`)
    assert re.search(r"kafka-(topics|broker-api-versions|metadata-quorum)\.sh", command)
    assert "--bootstrap-server" in command
    assert health["retries"] >= 3


def test_postgres_is_pinned_with_a_volume_and_pg_isready(services: dict[str, Any]) -> None:
    pg = services["postgres"]
    assert re.fullmatch(r"postgres:\d+\.\d+(-\w+)?", pg["image"])
    [volume] = pg["volumes"]
    assert volume["type"] == "volume" and volume["target"] == "/var/lib/postgresql/data"
    test = pg["healthcheck"]["test"]
    assert test[:2] == ["CMD", "pg_isready"]
    assert "127.0.0.1" in test  # TCP: the init-time server listens on the socket only


def test_named_volumes(model: dict[str, Any]) -> None:
    assert {"kafka-data", "postgres-data"} <= set(model["volumes"])


def test_partitions_and_retention_agree_with_the_topic_code(services: dict[str, Any]) -> None:
    assert TOPIC_CONFIG == {"retention.ms": "-1", "cleanup.policy": "delete"}
    env = services["topics"]["environment"]
    assert env["COMPLAINTS_PARTITIONS"] == str(Settings.model_fields["partitions"].default)
    assert services["kafka"]["environment"]["KAFKA_NUM_PARTITIONS"] == env["COMPLAINTS_PARTITIONS"]


# --- documentation of every knob --------------------------------------------------------------------


def interpolated_vars() -> set[str]:
    return set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text()))


def test_every_compose_variable_is_in_the_env_example() -> None:
    example = (ROOT / "deploy" / "compose.env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert interpolated_vars() - listed == set()
    assert listed - interpolated_vars() - {"COMPOSE_PROJECT_NAME"} == set()


def test_deploy_readme_documents_every_variable() -> None:
    readme = (ROOT / "deploy" / "README.md").read_text()
    documented = set(re.findall(r"^\|\s*`([A-Z_][A-Z0-9_]*)`", readme, flags=re.MULTILINE))
    wanted = set(settings_vars()) | {env_var(f) for f in NOT_IN_COMPOSE} | interpolated_vars()
    assert wanted - documented == set()


def test_env_example_parses_as_what_compose_reads(tmp_path: Path) -> None:
    """The example, with the secret filled in, is a working .env."""
    text = (ROOT / "deploy" / "compose.env.example").read_text()
    env = tmp_path / ".env"
    text = re.sub(r"^COMPLAINTS_PII_LOOKUP_SECRET=$", "COMPLAINTS_PII_LOOKUP_SECRET=x", text, flags=re.M)
    text = re.sub(r"^COMPLAINTS_CUSTOMER_LINK_SECRET=$", "COMPLAINTS_CUSTOMER_LINK_SECRET=y", text, flags=re.M)
    env.write_text(re.sub(r"^COMPLAINTS_VAULT_MASTER_KEY=$", "COMPLAINTS_VAULT_MASTER_KEY=mk-1:x", text, flags=re.M))
    out = run_compose(["config", "--quiet"], env_file=env, check=False)
    assert out.returncode == 0, out.stderr


def test_yaml_anchors_keep_one_definition_of_the_environment() -> None:
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    shared = raw["x-complaints-env"]
    assert set(settings_vars()) == set(shared)
