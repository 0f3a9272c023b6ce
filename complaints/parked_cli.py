"""`complaints parked list|redrive`: the records services could not process, kept in their own stores.

Each service parks into the `parked` table of its own database (`complaints.parking`). The
commands read the databases named with `--database` (repeatable), by default this installation's
`COMPLAINTS_DATABASE_URL` (the workers' store) and `COMPLAINTS_PROJECTIONS_DATABASE_URL`.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated

import typer

from complaints.settings import Settings, get_settings

if TYPE_CHECKING:  # imported when a command runs: `complaints --help` stays quick
    from complaints.parking import Parked, ParkingLot

parked_app = typer.Typer(help="Records a service could not process: list them, re-drive them.", no_args_is_help=True)

Databases = Annotated[list[str] | None, typer.Option("--database", help="A service's database URL (repeatable).")]
Service = Annotated[str | None, typer.Option("--service", help="Only this service's records.")]


def _lots(settings: Settings, databases: list[str] | None) -> list[ParkingLot]:
    from complaints.parking import ParkingLot

    urls = databases or list(dict.fromkeys([settings.database_url, settings.projections_database_url]))
    return [ParkingLot(url) for url in urls]


def _found(lots: list[ParkingLot], service: str | None) -> list[tuple[ParkingLot, Parked]]:
    return [(lot, p) for lot in lots for p in lot.list(service)]


@parked_app.command("list")
def parked_list(service: Service = None, databases: Databases = None,
                as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False) -> None:
    """Every parked record not re-driven yet: id, service, origin, error (never its value)."""
    found = [p for _, p in _found(_lots(get_settings(), databases), service)]
    if as_json:
        typer.echo(json.dumps([p.summary() for p in found], indent=2))
        return
    for p in found:
        typer.echo(f"{p.id}  {p.service:<12} {p.topic}[{p.partition}]@{p.offset}  {p.parked_at:%Y-%m-%d %H:%M:%S}  "
                   f"{p.error[:160]}")
    typer.echo(f"{len(found)} parked")


@parked_app.command("redrive")
def parked_redrive(record_id: Annotated[str | None, typer.Argument(help="A parked record's id.")] = None,
                   all_: Annotated[bool, typer.Option("--all", help="Every parked record (of --service).")] = False,
                   service: Service = None, databases: Databases = None) -> None:
    """Re-publish parked records to their origin topic, as they were (key, value, headers)."""
    if (record_id is None) == (not all_):
        raise typer.BadParameter("give one parked record's ID, or --all")
    settings = get_settings()
    chosen = [(lot, p) for lot, p in _found(_lots(settings, databases), service) if all_ or p.id == record_id]
    if record_id is not None and not chosen:
        typer.echo(f"no parked record {record_id}", err=True)
        raise typer.Exit(1)
    asyncio.run(_redrive(settings, chosen))
    typer.echo(f"{len(chosen)} re-driven")


async def _redrive(settings: Settings, chosen: list[tuple[ParkingLot, Parked]]) -> None:
    from complaints.kafka.producer import EventProducer

    producer = EventProducer(settings)
    await producer.start()
    try:
        for lot, p in chosen:
            await producer.send_raw(p.topic, p.value, p.key, p.headers)
            await asyncio.to_thread(lot.mark_redriven, [p.id])
    finally:
        await producer.stop()
