"""The workers' tunables, each with the measurement that set it (bench/RESULTS.md, bench/PROFILES.md).

The wiring of each service passes them to its `Worker` and its edges; nothing in the worker
contract depends on their values, only its speed and memory.
"""

from __future__ import annotations

#: Most consumed records decided in one round, and the longest a partial round waits for more
#: (`stream.take_events(BATCH_MAX, within=BATCH_WITHIN_S)`). Set in e983c6f ("batched workers"):
#: one event at a time spent ~5 ms per event waiting on the broker's ack and the database (48 % CPU);
#: batched, the round trips are ~4 % of a worker (bench/RESULTS.md, "Workers process batches").
BATCH_MAX = 500
BATCH_WITHIN_S = 0.01
#: The notifier's consumer (services/notifier/consumer.py) takes rounds of the same size and waits
#: a little longer for one to fill: a round is one transaction of folds and claims, and a message
#: is sent by its delivery loop, not by the round. Not measured: its value before the tunables moved here.
NOTIFY_BATCH_WITHIN_S = 0.05

#: Records faust buffers per stream before it pauses fetching (its default: 4096). bench/RESULTS.md
#: "faust's stream buffer, 4096 -> 8192": escalation draining 20,000 complaints went from 4,487 to
#: 6,205-7,036 events/s at the same CPU per event; 16,384 and 32,768 were within the spread for
#: 15-20 MB more. Cost: 10-20 MB of RSS per worker while draining a backlog.
STREAM_BUFFER = 8192

#: Freed heap handed back to the system (`complaints.heap.trim`) at most this often, from the timer.
#: bench/RESULTS.md "Workers give freed heap back": escalation over three 100,000-complaint backlogs
#: grew 201 -> 213 -> 222 MB without it, and stayed at 198-203 MB once idle with it (`--full`: <= 206 MB).
HEAP_TRIM_EVERY_S = 10.0

#: How often the timer looks for due cases (SLA breaches, answer windows). Not a measured figure:
#: the SLA promises are in minutes; a second keeps a breach escalation within ~1 s of its due time.
TICK_INTERVAL_S = 1.0

#: Case lock stripes per process (a case's events and actions are decided one at a time) and how
#: many times an action is redone when another replica saved the case meanwhile. Not measured:
#: correctness bounds, not speed (a conflict needs two replicas racing on one case).
LOCK_STRIPES = 256
CONFLICT_ATTEMPTS = 20

#: Own event ids remembered to recognise their echo (`recent.RecentlyEmitted`). bench/RESULTS.md
#: "A worker skips the echo of its own events": a third of a worker's input; cut to 16,384 ids for the
#: `--full` memory target (RSS <= 222 MB per service at 1M events).
ECHO_MEMORY = 16_384
