"""`python -m faults [--quick] [--only S ...]`: run the fault scenarios, write faults/RESULTS.md."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

from faults.report import render
from faults.run import Result, run
from faults.scenarios import all_scenarios

HERE = Path(__file__).resolve().parent
PG = os.environ.get("COMPLAINTS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def main(argv: list[str] | None = None) -> int:
    scenarios = all_scenarios(quick=False)
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter phases, 200 poison records")
    parser.add_argument("--only", nargs="+", metavar="S", choices=[s.name for s in scenarios],
                        help="run only these scenarios")
    parser.add_argument("--postgres", default=PG, help="PostgreSQL (schemas are created and dropped)")
    parser.add_argument("--rate", type=float, default=4.0, help="complaints per second")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    chosen = [s for s in all_scenarios(args.quick) if not args.only or s.name in args.only]
    warmup, after = (4.0, 8.0) if args.quick else (8.0, 20.0)
    results: list[Result] = []
    for scenario in chosen:
        folder = Path(tempfile.mkdtemp(prefix=f"faults-{scenario.name}-"))
        print(f"== {scenario.name}: {scenario.proves}", flush=True)
        result = asyncio.run(run(scenario, folder, args.postgres, warmup, after, args.rate))
        results.append(result)
        print(f"   sent={result.sent} accepted={result.accepted} expected={result.expected} lost={result.lost} "
              f"divergent={result.divergent} stall={result.stall_s}s recover={result.recover_s}s "
              f"{'pass' if result.passed else 'FAIL'} {result.error or ''} {result.notes}", flush=True)
        if result.passed:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"   logs kept in {folder}", flush=True)
    args.out.write_text(render(results, args.rate, args.quick))
    print(f"wrote {args.out}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
