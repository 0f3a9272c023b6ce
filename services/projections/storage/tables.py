"""The read model's tables (SQLAlchemy Core), one set per generation.

A generation is one complete build of the read model: `cases_g<N>`, `timeline_g<N>`,
`offsets_g<N>`, `counters_g<N>`, `kpis_g<N>` (KPI tallies per received hour, day, month or year and channel) and
`versions_g<N>` (valid-time versions of the cases' queue columns).
The `projection_generations` catalog, in the
configured database, says which generation is active; replay builds the next one
beside it and flips the catalog in one transaction. Times are stored as naive UTC.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

#: The case columns the queue filters and sorts on (`codec.QUEUE_COLUMNS`), kept per version too.
QUEUE_COLUMNS = ("status", "episode", "level", "department", "channel", "customer_ref", "received_at", "due_at",
                 "awaiting", "breached", "assignee")

#: Bump when the tables or the case JSON change shape; a replay builds the new shape.
SCHEMA_VERSION = 7  # 2: cases.assignee (staff case work); 3: KPI tallies, valid-time versions;
#                     4: KPI tallies in tiers, per day and month (complaints.readmodel.kpitiers); 5: cases.summary;
#                     6: versions' late-received index (storage/asofpage.py), index ix_cases_awaiting_received,
#                        KPI tallies per hour too (complaints.readmodel.kpispans), tier 2 per hour instead of day;
#                     7: KPI tallies per year too (tiers 0, 1: a whole history reads its years)

catalog_metadata = MetaData()
generations = Table(
    "projection_generations",
    catalog_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("location", Text, nullable=False, doc="Database URL holding this generation's tables."),
    Column("state", String(16), nullable=False, doc="building, active or retired."),
    Column("schema_version", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("activated_at", DateTime),
    Column("events", BigInteger),
    Column("seconds", String(32)),
)


@dataclass(frozen=True)
class Tables:
    metadata: MetaData
    cases: Table
    timeline: Table
    offsets: Table
    counters: Table
    kpis: Table
    versions: Table


def generation_tables(generation: int) -> Tables:
    suffix = f"_g{generation}"
    md = MetaData()
    cases = Table(
        f"cases{suffix}", md,
        Column("complaint_id", String(200), primary_key=True),
        Column("status", String(20), nullable=False),
        Column("episode", Integer, nullable=False),
        Column("level", String(20), nullable=False),
        Column("department", String(20)),
        Column("channel", String(20)),
        Column("customer_ref", String(200)),
        Column("received_at", DateTime),
        Column("due_at", DateTime),
        Column("awaiting", Boolean, nullable=False),
        Column("breached", Boolean, nullable=False),
        Column("updated_at", DateTime),
        Column("doc", Text, nullable=False, doc="The folded Case as JSON."),
        Column("assignee", String(200), doc="Staff id working the case (None: in the queue)."),
        Column("summary", Text, nullable=False, doc="What a queue page shows of the case, as JSON "
                                                    "(complaints.readmodel.summary.summary_of the doc)."),
    )
    # The queue's sorts (urgency: due_at; newest/oldest: received_at), each behind its filters' columns, so a
    # 50-row page is an index range read in order (storage/queue.py `sql_phases`), not a sort of every match.
    c = cases.c
    Index(f"ix_cases{suffix}_due", c.due_at, c.complaint_id)
    Index(f"ix_cases{suffix}_received", c.received_at, c.complaint_id)
    # A received window sorted by urgency: the window's awaiting cases only (due_at set), read and sorted, instead
    # of every case of the window read to test due_at (SQLite, on the index above). Partial: small, and it ties
    # with no other plan (a full (received_at, due_at, id) index tied with the one above, chosen by creation order).
    awaiting = c.due_at.is_not(None)
    Index(f"ix_cases{suffix}_awaiting_received", c.received_at, c.due_at, c.complaint_id, sqlite_where=awaiting,
          postgresql_where=awaiting)
    Index(f"ix_cases{suffix}_customer", c.customer_ref, c.complaint_id)  # a customer's few cases: sorted
    Index(f"ix_cases{suffix}_status", c.status, c.due_at, c.complaint_id)
    Index(f"ix_cases{suffix}_status_received", c.status, c.received_at, c.complaint_id)
    for name, col in (("level", c.level), ("department", c.department), ("channel", c.channel),
                      ("assignee", c.assignee)):
        Index(f"ix_cases{suffix}_{name}", col, c.due_at, c.complaint_id)
        Index(f"ix_cases{suffix}_{name}_received", col, c.received_at, c.complaint_id)
    timeline = Table(
        f"timeline{suffix}", md,
        Column("event_id", String(200), primary_key=True),
        Column("complaint_id", String(200), nullable=False),
        Column("topic", String(100), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("ce_type", String(200), nullable=False),
        Column("time", DateTime, nullable=False),
        Column("source", Text, nullable=False),
        Column("correlation_id", String(200), nullable=False),
        Column("causation_id", String(200)),
        Column("payload", Text, nullable=False, doc="The event JSON as on the topic (refolds, as_of)."),
        Column("entry", Text, nullable=False, doc="The TimelineEntry as JSON."),
    )
    Index(f"ix_timeline{suffix}_case", timeline.c.complaint_id)
    Index(f"ix_timeline{suffix}_time", timeline.c.time)
    offsets = Table(
        f"offsets{suffix}", md,
        Column("topic", String(100), primary_key=True),
        Column("partition", Integer, primary_key=True),
        Column("next_offset", BigInteger, nullable=False),
    )
    counters = Table(
        f"counters{suffix}", md,
        Column("name", String(300), primary_key=True),
        Column("value", BigInteger, nullable=False),
    )
    kpis = Table(
        f"kpis{suffix}", md,
        Column("metric", String(60), primary_key=True, doc="A KPI metric, or its tier 1/2 part (kpitiers)."),
        Column("span", String(1), primary_key=True, doc="'h': the cases received that hour; 'd': that day; "
                                                        "'m': that month; 'y': that year."),
        Column("day", String(13), primary_key=True, doc="The received hour (UTC) YYYY-MM-DDTHH, or the (first) "
                                                        "day YYYY-MM-DD."),
        Column("channel", String(20), primary_key=True, doc="Their channel ('' when unknown)."),
        Column("key", String(200), primary_key=True),
        Column("tier", SmallInteger, nullable=False, doc="0: summary, 1: fine buckets, 2: exact values."),
        Column("n", BigInteger, nullable=False),
        Column("total", BigInteger, nullable=False),
        comment="Summed KPI contributions (complaints.readmodel.kpis, stored as kpitiers) per hour, day, month or "
                "year, channel.",
        sqlite_with_rowid=False,  # clustered by the key: a tier 1/2 read is one range of the table itself
    )
    # The summary of a window: its days' and months' tier 0 rows from the index alone (few: a batch changes
    # a few hundred), without walking their tier 1/2 rows.
    k = kpis.c
    Index(f"ix_kpis{suffix}_summary", k.span, k.day, k.channel, k.metric, k.key, k.n, k.total,
          sqlite_where=k.tier == 0, postgresql_where=k.tier == 0)
    versions = Table(
        f"versions{suffix}", md,
        Column("complaint_id", String(200), primary_key=True),
        Column("valid_from", DateTime, primary_key=True, doc="The time of the events that made this version."),
        Column("valid_to", DateTime, nullable=False, doc="The next version's valid_from; 9999-12-31: current."),
        *(Column(col.name, col.type, nullable=col.nullable) for col in cases.c if col.name in QUEUE_COLUMNS),
        comment="Valid-time versions of the cases' queue columns (complaints.readmodel.validtime), for as_of.",
    )
    v = versions.c
    Index(f"ix_versions{suffix}_due", v.due_at, v.complaint_id)
    Index(f"ix_versions{suffix}_received", v.received_at, v.complaint_id)
    # The few versions received after their own valid_from, which the queue as_of's walk bounded by the
    # moment (received_at <= as_of) does not see (storage/asofpage.py); normally none.
    late = v.received_at > v.valid_from
    Index(f"ix_versions{suffix}_late_received", v.received_at, v.complaint_id, sqlite_where=late,
          postgresql_where=late)
    return Tables(md, cases, timeline, offsets, counters, kpis, versions)
