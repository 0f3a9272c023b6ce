"""Summarise a py-spy raw (collapsed stacks) profile: where the samples go, by frame.

`python -m bench.spy FILE [--top N]` prints the frames with the most inclusive samples
(total) and the most self samples, as the RESULTS.md profile excerpts show them.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def load(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        head, _, count = line.rpartition(" ")
        if not head or not count.isdigit():
            continue
        stacks.append((head.split(";"), int(count)))
    return stacks


def _short(frame: str) -> str:
    # "func (path/to/module.py:123)" -> "func (module.py)"
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rsplit("/", 1)[-1].rstrip(")")
    return f"{name} ({file})" if file else name


def summary(path: Path, top: int = 25, focus: str | None = None) -> str:
    stacks = load(path)
    if focus:
        stacks = [(s, c) for s, c in stacks if any(focus in f for f in s)]
    total = sum(c for _, c in stacks) or 1
    inclusive: Counter[str] = Counter()
    self_: Counter[str] = Counter()
    for frames, count in stacks:
        seen = set()
        for f in frames:
            short = _short(f)
            if short not in seen:
                inclusive[short] += count
                seen.add(short)
        self_[_short(frames[-1])] += count
    lines = [f"{total} samples" + (f" in stacks through {focus!r}" if focus else "")]
    lines.append("inclusive (share of samples with the frame on the stack):")
    # Frames on (nearly) every stack are the program's entry points: they say nothing.
    lines += [f"  {c / total:6.1%}  {f}" for f, c in inclusive.most_common() if c < 0.98 * total][:top]
    lines.append("self (share of samples spent in the frame itself):")
    lines += [f"  {c / total:6.1%}  {f}" for f, c in self_.most_common(top)]
    return "\n".join(lines)


#: Components of a service's CPU time, by a frame that identifies each (first match wins).
COMPONENTS: tuple[tuple[str, str], ...] = (
    ("_find_and_load", "start-up imports"),
    ("Intake._seal", "intake: vault (customer reference + seal)"),
    ("prior_complaints_in", "intake: complaint history"),
    ("Intake._handle", "intake: idempotency claims, grouping"),
    ("Intake.publish", "intake: encode + publish"),
    ("solve_dependencies", "HTTP: FastAPI request validation"),
    ("post_complaint", "HTTP: endpoint body"),
    ("H11Protocol", "HTTP: h11 parsing"),
    ("RequestResponseCycle", "HTTP: ASGI/FastAPI/Starlette"),
    # projections (live and replay): before the workers' markers, whose names some of its frames share
    ("_fold (batch.py)", "projector: fold (case documents)"),
    ("case_values (codec.py)", "projector: case rows (JSON)"),
    ("(sqlwrite.py)", "projector: SQL statements"),
    ("classify_all", "projector: decode"),
    ("apply_batch (writer.py)", "projector: apply batch (other)"),
    ("decode (envelope.py)", "envelope decode (ce_* headers + pydantic)"),
    ("_encode (runtime.py)", "envelope encode"),
    ("LifecycleDecider.react", "domain: decide (react)"),
    ("LifecycleDecider.on_event", "domain: decide (on_event)"),
    ("LifecycleDecider.evolve", "domain: evolve"),
    ("LifecycleDecider.load", "case state: JSON load"),
    ("LifecycleDecider.dump", "case state: JSON dump"),
    ("CaseStore", "case store (SQL)"),
    ("EventProducer.publish", "publish (aiokafka send)"),
    ("decide_round (rounds.py)", "worker: round decided (other)"),
    ("handle_batch", "worker batch loop (other)"),
    ("Fetcher", "aiokafka consumer fetcher"),
    ("Sender", "aiokafka producer sender"),
    ("Conductor", "faust conductor"),
    ("take_events", "faust take_events"),
    ("Stream.", "faust stream"),
    ("Consumer", "faust/aiokafka consumer (other)"),
    ("do_execute", "SQL (other)"),
    ("_tick", "timer tick"),
)


def breakdown(path: Path, components: tuple[tuple[str, str], ...] = COMPONENTS, exclude_startup: bool = True,
              top: int = 14) -> str:
    """CPU samples grouped by component (the start-up imports left out), largest first."""
    stacks = load(path)
    groups: Counter[str] = Counter()
    for frames, count in stacks:
        shorts = [_short(f) for f in frames]
        label = "other (event loop, threads, ...)"
        for marker, name in components:
            if any(marker in f for f in shorts):
                label = name
                break
        groups[label] += count
    if exclude_startup:
        groups.pop("start-up imports", None)
    total = sum(groups.values()) or 1
    lines = [f"{total} CPU samples (start-up excluded)"]
    lines += [f"  {c / total:6.1%}  {name}" for name, c in groups.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    args = sys.argv[1:]
    top = 25
    focus = None
    if "--top" in args:
        i = args.index("--top")
        top = int(args[i + 1])
        del args[i:i + 2]
    if "--focus" in args:
        i = args.index("--focus")
        focus = args[i + 1]
        del args[i:i + 2]
    if "--breakdown" in args:
        args.remove("--breakdown")
        print(breakdown(Path(args[0])))
        return
    print(summary(Path(args[0]), top, focus))


if __name__ == "__main__":
    main()
