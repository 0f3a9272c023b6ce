"""`complaints`: the operator's command line (typer)."""

from __future__ import annotations

import importlib
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from complaints.parked_cli import parked_app
from complaints.settings import get_settings

if TYPE_CHECKING:
    from complaints.pii import Vault

app = typer.Typer(help="Complaint-lifecycle platform: run the stack, manage topics, watch and replay events.",
                  no_args_is_help=True)
topics_app = typer.Typer(help="Create and verify the lifecycle topics.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
policy_app = typer.Typer(help="Versioned policies: ids, publishing kept versions.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(parked_app, name="parked")


@app.command()
def dev(
    data_dir: Annotated[Path, typer.Option(help="Fresh folder for this run's databases.")] = Path("var/dev"),
    postgres: Annotated[str | None, typer.Option(
        help="PostgreSQL URL: the production-like topology (every store there, in fresh schemas; two replicas "
             "of each worker and of projections), as docker-compose.yml runs it.")] = None,
) -> None:
    """Start the whole local stack on the embedded broker; Ctrl-C stops everything."""
    from complaints.devstack import run_dev

    run_dev(get_settings(), data_dir.resolve(), postgres=postgres)


@app.command()
def run(
    service: Annotated[str, typer.Argument(help="intake, escalation, recovery, followup, projections or notifier")],
) -> None:
    """Run one service in the foreground (what each container runs)."""
    from complaints.devstack import SERVICES
    from complaints.pii import UnsafeSecrets

    by_name = {s.name: s for s in SERVICES}
    if service not in by_name:
        raise typer.BadParameter(f"unknown service {service!r}; choose from {', '.join(by_name)}")
    try:
        importlib.import_module(by_name[service].module).main()
    except UnsafeSecrets as exc:
        typer.echo(f"{service} refuses to start: {exc}", err=True)
        raise typer.Exit(2) from exc


@topics_app.command("create")
def topics_create() -> None:
    """Create the four topics and their .dlq twins (existing ones are left alone)."""
    from complaints.topics import ensure_topics

    settings = get_settings()
    created = ensure_topics(settings)
    typer.echo(f"created: {', '.join(created)}" if created else "all topics already exist")


@topics_app.command("verify")
def topics_verify() -> None:
    """Check partitions and retention of every topic; exit 1 on any problem."""
    from complaints.topics import verify_topics

    statuses = verify_topics(get_settings())
    for st in statuses:
        verdict = "ok" if not st.problems else "; ".join(st.problems)
        typer.echo(f"{st.name:<24} partitions={st.partitions}  {verdict}")
    if any(st.problems for st in statuses):
        raise typer.Exit(1)


@app.command()
def tail(
    topic: Annotated[str, typer.Argument(help="e.g. ComplaintReceived")],
    follow: Annotated[bool, typer.Option(help="Keep waiting for new events.")] = True,
    raw: Annotated[bool, typer.Option(help="Print the JSON value as stored.")] = False,
) -> None:
    """Print a topic's events from the beginning, one readable line each."""
    from complaints.tail import tail_topic

    for line in tail_topic(get_settings(), topic, follow=follow, raw=raw):
        typer.echo(line)


@app.command()
def replay() -> None:
    """Rebuild the read model from offset 0 into a fresh database and swap it in."""
    from services.projections.ingest.replay import replay as do_replay

    stats = do_replay(get_settings())
    typer.echo(json.dumps({k: v for k, v in vars(stats).items() if not k.startswith("_")}, default=str))


@app.command("notifier-rebuild")
def notifier_rebuild(into: Annotated[str, typer.Option(help="A fresh database URL for the rebuilt tables.")]) -> None:
    """Rebuild the notifier's cases and compensation ledger from the topics (sends nothing)."""
    from services.notifier.replay import rebuild

    store = rebuild(get_settings(), into)
    typer.echo(json.dumps({"offers": len(store.ledger(limit=1_000_000))}))
def _vault() -> Vault:
    """The configured vault, or a clear exit (2) naming the unsafe secret."""
    from complaints.pii import UnsafeSecrets, Vault

    try:
        return Vault.from_settings(get_settings())
    except UnsafeSecrets as exc:
        typer.echo(f"refusing to open the vault: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command("erase-customer")
def erase_customer(customer_ref: str) -> None:
    """Crypto-shred a customer: delete their key, so their personal data in every event is unreadable."""
    erased = _vault().erase(customer_ref)
    typer.echo("erased" if erased else "no such customer (already erased?)")
    if not erased:
        raise typer.Exit(1)


@app.command("rotate-master-key")
def rotate_master_key() -> None:
    """Re-wrap every customer key under COMPLAINTS_VAULT_MASTER_KEY (see docs/configuration.md, "Rotation").

    Set the new key as COMPLAINTS_VAULT_MASTER_KEY and the old one in COMPLAINTS_VAULT_PREVIOUS_MASTER_KEYS
    (services too), run this, then drop the old key.
    """
    from complaints.pii.rotation import rewrap

    vault = _vault()
    moved = rewrap(vault)
    total = sum(moved.values())
    former = ", ".join(f"{n} from {kid}" for kid, n in sorted(moved.items())) or "none needed"
    typer.echo(f"re-wrapped {total} customer key(s) under master key {vault.master_kid!r}: {former}")


@app.command("new-master-key")
def new_master_key(kid: Annotated[str | None, typer.Option(help="Key id (default: mk-<UTC time>).")] = None) -> None:
    """Print a fresh master key, `<key id>:<base64>`, for COMPLAINTS_VAULT_MASTER_KEY."""
    from complaints.pii.secrets import new_master_key as make

    typer.echo(make(kid))


@app.command("new-secret")
def new_secret() -> None:
    """Print a fresh random secret (e.g. for COMPLAINTS_PII_LOOKUP_SECRET)."""
    from complaints.pii.secrets import new_secret as make

    typer.echo(make())
@app.command()
def token(
    sub: Annotated[str, typer.Option(help="Staff id: the log records it as offered_by / requested_by / recorded_by.")],
    level: Annotated[str, typer.Option(help="front_line, supervisor, manager, department or executive.")],
    department: Annotated[list[str] | None, typer.Option(help="A department (repeat for several).")] = None,
    role: Annotated[list[str] | None, typer.Option(help="agent (default), lead, integration, admin, fulfilment.")]
    = None,
    ttl: Annotated[str, typer.Option(help="Lifetime, e.g. 15m, 8h, 1d.")] = "8h",
) -> None:
    """Print a staff token the running dev stack accepts (signed with the key `complaints dev` created)."""
    from pydantic import ValidationError

    from complaints.auth.staff import Staff
    from complaints.auth.tokens import issue_dev_token
    from complaints.domain.durations import parse_duration

    try:
        staff = Staff.model_validate({"id": sub, "level": level, "departments": department or (),
                                      "roles": role or ("agent",)})
        lifetime = parse_duration(ttl)
    except ValidationError as exc:
        option = {"id": "--sub", "level": "--level", "departments": "--department", "roles": "--role"}
        problems = [f"{option.get(str(e['loc'][0]), e['loc'][0])}: {e['msg'].removeprefix('Value error, ')}"
                    for e in exc.errors()]
        raise typer.BadParameter("; ".join(problems)) from None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--ttl") from None
    try:
        typer.echo(issue_dev_token(get_settings(), staff, lifetime))
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command("dev-key")
def dev_key() -> None:
    """Create the dev signing key at COMPLAINTS_AUTH_DEV_KEY_FILE unless it exists (`complaints dev` makes its own)."""
    from complaints.auth.tokens import create_dev_key

    path = get_settings().auth_dev_key_file
    if path.exists():
        typer.echo(f"{path} exists")
        return
    typer.echo(f"created {create_dev_key(path)}")


@app.command("export-schemas")
def export_schemas() -> None:
    """Regenerate schemas/json/*.schema.json from the event models."""
    from schemas.export import export

    for path in export():
        typer.echo(str(path))


@policy_app.command("id")
def policy_id(path: Annotated[Path, typer.Argument(help="A policy file.")]) -> None:
    """Print the policy's content-addressed id (`<version>@<hash>`), after validating it."""
    from complaints.domain.policy import load_policy

    typer.echo(load_policy(path).policy_id)


@policy_app.command("publish")
def policy_publish(
    path: Annotated[Path, typer.Argument(help="A policy file.")],
    folder: Annotated[Path | None, typer.Option(help="Kept versions (default: policies/ beside the file).")] = None,
) -> None:
    """Keep the policy under its id so every service can act under it and past decisions stay explainable."""
    from complaints.domain.policy_book import publish

    typer.echo(str(publish(path, folder)))


@app.command("what-if")
def what_if(
    policy: Annotated[Path, typer.Option(help="The candidate policy file.")],
    start: Annotated[datetime | None, typer.Option("--from", help="Cases received from (ISO 8601, UTC).")] = None,
    end: Annotated[datetime | None, typer.Option("--to", help="…and before (default: now); also the as-of.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The whole report as JSON.")] = False,
) -> None:
    """Re-decide the recorded history under a candidate policy (read-only): what would differ."""
    from datetime import UTC

    from complaints.domain.policy import load_policy
    from complaints.whatif.history import read_history
    from complaints.whatif.render import text
    from complaints.whatif.run import report as report_for

    candidate = load_policy(policy)
    start, end = (t if t is None or t.tzinfo else t.replace(tzinfo=UTC) for t in (start, end))
    report = report_for(read_history(get_settings(), start, end), candidate, end or datetime.now(UTC))
    typer.echo(report.model_dump_json(indent=2) if as_json else text(report))


if __name__ == "__main__":
    app()
