"""The events step of one day, part by part, in one process: where its time and memory go.

python benchmarks/profile_events.py --landing L --day 2024-01-01 [--repeat 3] [--out DIR]

Times (wall and this process's CPU) each part the `events` asset runs for a day, one after
another and single-threaded (the asset parses the day's files in three threads): reading,
parsing and counting each landing file, building its part of raw_events, writing and auditing
raw_events, `clean_day` on it read back (as the step does), writing clean (the sink runs the clean
pass) and rejected, and their audits read back.
Not a benchmark of the whole graph (that is `run.py --day`); a tool for finding what to change.
"""

import argparse
import resource
import tempfile
import time
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import polars as pl

from pipeline_assets.checks import schema_evaluation
from pipeline_assets.schemas import CleanEvents, RawEvents, RejectedEvents
from pipeline_assets.storage import Store, WriteAlongside
from pipeline_assets.transforms.clean import clean_day
from pipeline_assets.transforms.ingest import decompressed, parse_content
from pipeline_assets.transforms.landing_count import count_records
from pipeline_assets.transforms.raw_layer import raw_events_part, raw_events_stream


def timed(label: str, results: dict[str, list[tuple[float, float]]], work, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    value = work(*args, **kwargs)
    results.setdefault(label, []).append((time.perf_counter() - wall, time.process_time() - cpu))
    return value


def one_day(landing: Path, day: str, out: Path, results: dict) -> None:
    events = sorted((landing / "events" / f"date={day}").iterdir())
    rates = pl.concat(pl.read_csv(p, infer_schema=False) for p in (landing / "fx_rates" / f"date={day}").glob("*.csv"))
    fx = rates.select("currency", pl.col("usd_per_unit").cast(pl.Float64)).lazy()
    the_day = date.fromisoformat(day)
    store = Store(str(out))
    parts, unparsable = [], []
    for path in events:
        content = timed(f"decompress {path.name}", results, decompressed, path.name, path.read_bytes())
        parsed = timed(f"parse {path.name}", results, parse_content, path.name, content)
        timed(f"count {path.name}", results, count_records, path.name, content)
        del content
        parts.append(timed("raw_events_part", results, raw_events_part, parsed.records, the_day, datetime.now(UTC)))
        unparsable.append(parsed.unparsable)
        del parsed
    # As in the step, raw_events is written from a stream of the files' parts (here already parsed).
    stream = raw_events_stream(partial(iter, parts)).drop("date")
    timed("write raw", results, store.write_parquet, "raw.parquet", stream)
    del parts, stream  # cleaning reads the staged raw_events back
    staged_raw = pl.scan_parquet(out / "raw.parquet").select(pl.lit(the_day).alias("date"), pl.all())
    timed("audit raw", results, schema_evaluation, "raw_events", RawEvents, staged_raw, day)
    result = timed("clean_day", results, clean_day, staged_raw, pl.concat(unparsable).lazy(), fx, the_day)
    # As in the step, the rows that break a rule are found while clean is written.
    clean_pass = WriteAlongside(result.clean.drop("date"), (result.invalid_rows,))
    timed("write clean", results, store.write_parquet, "clean.parquet", clean_pass)
    rejected = timed("rejected", results, result.rejected, *clean_pass.collected)
    timed("write rejected", results, store.write_parquet, "rejected.parquet", rejected.drop("date"))
    del result, rejected
    for name, model in (("clean", CleanEvents), ("rejected", RejectedEvents)):
        staged = pl.scan_parquet(out / f"{name}.parquet").select(pl.lit(the_day).alias("date"), pl.all())
        timed(f"audit {name}", results, schema_evaluation, name, model, staged, day)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--day", default="2024-01-01")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(dir=args.out) as out:
        for _ in range(args.repeat):
            one_day(args.landing, args.day, Path(out), results)
    print(f"{'part':<28} {'best wall s':>11} {'its CPU s':>9}   (best of {args.repeat}; first audit imports Pandera)")
    total = 0.0
    for label, runs in results.items():
        wall, cpu = min(runs)
        total += wall
        print(f"{label:<28} {wall:>11.3f} {cpu:>9.3f}")
    print(f"{'sum of the best':<28} {total:>11.3f}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
