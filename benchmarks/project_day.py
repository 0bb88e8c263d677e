"""Variant (a), the project: one day's assets, executed in this process.

python benchmarks/project_day.py --landing L --warehouse W --day 2024-01-01 [--assets floor|all]

``--assets floor`` (the default) materialises what the floor and the pandas peer compute, the
project's way (staged, audited, published, every landing record accounted for): raw_fx_rates,
raw_events, clean_events, rejected_events, daily_user_metrics and daily_event_summary. ``all`` is
the whole daily graph, the report and semantic search included.

PIPELINE_START_DATE must be set to ``--day`` (or earlier) before the code location loads: the
partitions are fixed at import. Prints one JSON line: import_s (dagster, the code location and
Pandera, which the code location imports with its first audit),
build_s (the Definitions and an ephemeral Dagster instance), execution_s (the run: every asset,
checks, writes), and what the run left in the warehouse (read back after the clock stops).
"""

import time

started = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import dagster as dg  # noqa: E402

# The code location imports Pandera with its first audit, not at load (every sensor and schedule
# tick would pay it: schemas._pandera_schema). It is an import all the same, timed with the others
# rather than as the run's execution (0.7-1 s here, about a sixth of a 1M-record day's execution).
import pandera.polars  # noqa: E402, F401

from pipeline_assets.definitions import build_definitions  # noqa: E402
from pipeline_assets.demo import run_range  # noqa: E402
from pipeline_assets.settings import PipelineSettings  # noqa: E402

imported = time.perf_counter()

from harness import FLOOR_ASSETS  # noqa: E402 - after the clock: not the code location's import

SELECTIONS = {"floor": list(FLOOR_ASSETS), "all": None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--day", required=True)
    parser.add_argument("--assets", choices=sorted(SELECTIONS), default="floor")
    args = parser.parse_args()
    settings = PipelineSettings(
        landing_url=str(args.landing.resolve()),
        warehouse_url=str(args.warehouse.resolve()),
        start_date=PipelineSettings.from_env().start_date,
    )
    build_started = time.perf_counter()
    defs = build_definitions(settings)
    # The instance before the clock starts: making one imports Dagster's storage modules (about
    # 0.5 s), which the execution figures of earlier commits included.
    with dg.DagsterInstance.ephemeral() as instance:
        run_started = time.perf_counter()
        result = run_range(defs, args.day, args.day, instance, SELECTIONS[args.assets])
        finished = time.perf_counter()
    if not result.success:
        failures = [event.message for event in result.all_events if event.is_failure]
        print("the run failed:\n" + "\n".join(str(m) for m in failures), file=sys.stderr)
        return 1
    clean_rows = _rows(args.warehouse / "clean_events" / f"date={args.day}")
    figures = {
        "variant": "project",
        "import_s": imported - started,
        "build_s": run_started - build_started,  # the Definitions and the instance
        "execution_s": finished - run_started,
        "clean_rows": clean_rows,
    }
    print(json.dumps(figures))
    return 0


def _rows(partition: Path) -> int:
    import polars as pl

    return pl.scan_parquet(str(partition / "*.parquet")).select(pl.len()).collect().item()


if __name__ == "__main__":
    sys.exit(main())
