"""Variant (b), the floor: the same cleaning and aggregation as bare Polars, nothing else.

python benchmarks/floor_polars.py --landing L --out W --start 2024-01-01 [--end 2024-01-03]

No orchestration, no checks, no per-record error handling (an unparsable line would fail the
read; the benchmark days have none), no raw or rejected tables: read the day's event files as
text, unify, type, keep the records the contract calls valid, join the day's fx rates, keep the
latest record per event_id, and write daily_user_metrics and daily_event_summary as Parquet
(``<out>/<asset>/date=D/data.parquet``). Days run one after another in this process.
"""

import time

started = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import polars as pl  # noqa: E402

imported = time.perf_counter()

EVENT_COLUMNS = (
    "event_id", "user_id", "session_id", "event_type", "event_ts",
    "amount", "currency", "country", "device", "metadata",
)  # fmt: skip
EVENT_TYPES = ("view", "click", "add_to_cart", "purchase", "login", "logout", "search")
DEVICES = ("web", "ios", "android")
TIMESTAMP = "%Y-%m-%dT%H:%M:%S%.f%#z"  # ISO-8601 with "Z" or an offset; none means null
# Polars 2 defaults to its streaming engine; for one day in memory on 2 cores the in-memory engine
# measured about 1.5x faster here (1M records). --engine auto|streaming to compare.
ENGINE = "in-memory"


def read_events(folder: Path) -> pl.LazyFrame:
    """Every event file of a day as text columns, with its file's rank (by name) and row number."""
    frames = []
    for rank, path in enumerate(sorted(folder.iterdir())):
        if path.name.endswith((".csv", ".csv.gz")):
            frame = pl.read_csv(path, infer_schema=False)  # BOM, CRLF and gzip are handled
        else:  # .jsonl, .jsonl.gz
            frame = pl.read_ndjson(path, schema=dict.fromkeys(EVENT_COLUMNS, pl.String))
        missing = [pl.lit(None, pl.String).alias(c) for c in EVENT_COLUMNS if c not in frame.columns]
        frames.append(
            frame.lazy()
            .with_columns(missing)
            .select(*EVENT_COLUMNS, pl.lit(rank, pl.UInt32).alias("_file"), pl.int_range(pl.len()).alias("_line"))
        )
    return pl.concat(frames)


def read_rates(folder: Path) -> pl.LazyFrame:
    rates = pl.concat(
        pl.read_csv(path, schema={"currency": pl.String, "usd_per_unit": pl.Float64}) for path in folder.glob("*.csv")
    )
    return pl.concat([rates, pl.DataFrame({"currency": ["USD"], "usd_per_unit": [1.0]})]).lazy()


def clean(events: pl.LazyFrame, rates: pl.LazyFrame, day: date) -> pl.LazyFrame:
    text = [pl.col(c).str.strip_chars() for c in EVENT_COLUMNS]
    blank_to_null = [pl.when(t != "").then(t).alias(c) for t, c in zip(text, EVENT_COLUMNS, strict=True)]
    purchase = pl.col("event_type") == "purchase"
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return (
        events.with_columns(blank_to_null)
        .with_columns(
            pl.col("user_id").cast(pl.Int64, strict=False),
            pl.col("event_ts").str.to_datetime(TIMESTAMP, time_unit="us", time_zone="UTC", strict=False),
            pl.col("amount").cast(pl.Float64, strict=False),
            pl.col("currency").str.to_uppercase(),
        )
        .join(rates, on="currency", how="left")
        .filter(
            pl.col("event_id").is_not_null(),
            pl.col("user_id") > 0,
            pl.col("session_id").is_not_null(),
            pl.col("event_type").is_in(EVENT_TYPES),
            pl.col("event_ts").is_between(start, start + timedelta(days=1), closed="left"),
            ~purchase | ((pl.col("amount") > 0) & pl.col("amount").is_finite() & pl.col("usd_per_unit").is_not_null()),
            pl.col("country").is_null() | pl.col("country").str.contains(r"^[A-Z]{2}$"),
            pl.col("device").is_null() | pl.col("device").is_in(DEVICES),
        )
        .with_columns(amount_usd=pl.when(purchase).then(pl.col("amount") * pl.col("usd_per_unit")))
        # The latest event_ts wins; ties go to the last record by (file, line).
        .sort("event_ts", "_file", "_line")
        .unique(subset="event_id", keep="last")
        .with_columns(pl.lit(day).alias("date"))
    )


def user_metrics(events: pl.LazyFrame) -> pl.LazyFrame:
    return (
        events.group_by("date", "user_id")
        .agg(
            events=pl.len(),
            sessions=pl.col("session_id").n_unique(),
            purchases=(pl.col("event_type") == "purchase").sum(),
            revenue_usd=pl.col("amount_usd").sum(),
            first_event_ts=pl.col("event_ts").min(),
            last_event_ts=pl.col("event_ts").max(),
        )
        .sort("user_id")
    )


def event_summary(events: pl.LazyFrame) -> pl.LazyFrame:
    return (
        events.group_by("date", "event_type")
        .agg(events=pl.len(), users=pl.col("user_id").n_unique(), revenue_usd=pl.col("amount_usd").sum())
        .sort("event_type")
    )


def run_day(landing: Path, out: Path, day: date, engine: str = ENGINE) -> int:
    """One day, landing files to the two aggregates; returns the clean event count."""
    events = clean(
        read_events(landing / "events" / f"date={day}"), read_rates(landing / "fx_rates" / f"date={day}"), day
    ).collect(engine=engine)
    for name, table in (("daily_user_metrics", user_metrics), ("daily_event_summary", event_summary)):
        target = out / name / f"date={day}"
        target.mkdir(parents=True, exist_ok=True)
        table(events.lazy()).collect(engine=engine).write_parquet(target / "data.parquet")
    return events.height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--start", type=date.fromisoformat, required=True)
    parser.add_argument("--end", type=date.fromisoformat, help="last day (default: --start)")
    parser.add_argument("--engine", default=ENGINE, choices=["in-memory", "streaming", "auto"])
    args = parser.parse_args()
    days = [args.start + timedelta(days=n) for n in range(((args.end or args.start) - args.start).days + 1)]
    run_started = time.perf_counter()
    clean_rows = sum(run_day(args.landing, args.out, day, args.engine) for day in days)
    finished = time.perf_counter()
    figures = {"variant": "floor", "import_s": imported - started, "execution_s": finished - run_started}
    print(json.dumps(figures | {"days": len(days), "clean_rows": clean_rows}))


if __name__ == "__main__":
    main()
