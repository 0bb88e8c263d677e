"""Benchmarks of pipeline-assets: figures and ratios, never pass/fail on time.

uv run python benchmarks/run.py                      # one day, 1M records: project vs Polars floor vs pandas
uv run python benchmarks/run.py --records 5000000    # the same at 5M (or 10000000)
uv run python benchmarks/run.py --ingest             # parse_landing_file: clean day vs 1% unparsable lines
uv run python benchmarks/run.py --range              # 90 days x 100k: one range run vs per-day runs vs floor
uv run python benchmarks/run.py --rss-ranges         # peak RSS of range runs of 1, 7, 30, 90 days x 300k
uv run python benchmarks/run.py --all                # every mode (--day --ingest --range --rss-ranges)
uv run python benchmarks/run.py --smoke              # every mode, tiny, 1 round (the test suite runs this)

Every variant runs in a child process of its own, interleaved round by round; figures are medians.
Landing data is generated once per size into --workdir and reused. See benchmarks/README.md.
"""

import argparse
import sys
import time
from pathlib import Path

from harness import DISAGREEMENTS, REPO_ROOT, print_context, use_bytecode_cache
from mode_day import day_benchmark, ingest_benchmark
from mode_range import range_benchmark, rss_ranges

SMOKE = {
    "records": 3_000,
    "rounds": 1,
    "range_days": 2,
    "range_records": 2_000,
    "rss_days": [1, 2],
    "rss_records": 2_000,
}


def day_lengths(text: str) -> list[int]:
    lengths = sorted({int(part) for part in text.split(",") if part.strip()})
    if not lengths or lengths[0] < 1:
        raise argparse.ArgumentTypeError("give range lengths in days as positive integers, e.g. 1,7,30,90")
    return lengths


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="With no mode flag: --day.")
    modes = parser.add_argument_group("modes (any combination)")
    modes.add_argument("--day", action="store_true", help="one day: project (a) vs floor (b) vs pandas (c)")
    modes.add_argument("--ingest", action="store_true", help="ingestion: clean day vs day with unparsable lines")
    modes.add_argument("--range", action="store_true", help="one CLI range run vs a CLI run per day vs the floor")
    modes.add_argument("--rss-ranges", action="store_true", help="peak RSS of CLI range runs of several lengths")
    modes.add_argument("--all", action="store_true", help="every mode")
    modes.add_argument("--smoke", action="store_true", help="every mode at toy sizes, one round (~1.5 min)")
    sizes = parser.add_argument_group("sizes")
    sizes.add_argument("--records", type=int, default=1_000_000, help="landing records of the day (--day, --ingest)")
    sizes.add_argument("--rounds", type=int, default=3, help="rounds per variant; medians are reported")
    sizes.add_argument("--unparsable-share", type=float, default=0.01, help="unparsable lines of the defective day")
    sizes.add_argument("--range-days", type=int, default=90)
    sizes.add_argument("--range-records", type=int, default=100_000, help="records a day for --range")
    sizes.add_argument("--rss-days", type=day_lengths, default=[1, 7, 30, 90], help="comma-separated range lengths")
    sizes.add_argument("--rss-records", type=int, default=300_000, help="records a day for --rss-ranges")
    parser.add_argument("--workdir", type=Path, help="generated data and scratch output (default: data/bench)")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run children with the environment as it is (no warm bytecode cache in <workdir>/pycache)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        vars(args).update(SMOKE)
        args.all = True
    if args.all:
        args.day = args.ingest = args.range = args.rss_ranges = True
    if not (args.day or args.ingest or args.range or args.rss_ranges):
        args.day = True
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    args.workdir = args.workdir.resolve() if args.workdir else REPO_ROOT / "data" / "bench"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    print_context()
    print(f"workdir: {args.workdir}")
    if not args.no_bytecode_cache:
        use_bytecode_cache(args.workdir)
    if args.day:
        day_benchmark(args.workdir, args.records, args.rounds)
    if args.ingest:
        ingest_benchmark(args.workdir, args.records, args.rounds, args.unparsable_share)
    if args.range:
        range_benchmark(args.workdir, args.range_days, args.range_records, args.rounds)
    if args.rss_ranges:
        rss_ranges(args.workdir, args.rss_days, args.rss_records, args.rounds)
    print(f"\nbenchmarks done in {time.perf_counter() - started:.0f} s")
    if DISAGREEMENTS:
        print(
            f"the variants disagree ({', '.join(DISAGREEMENTS)}): their figures compare different work", file=sys.stderr
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
