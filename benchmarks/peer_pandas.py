"""Variant (c), the peer: the floor's work in idiomatic pandas.

python benchmarks/peer_pandas.py --landing L --out W --start 2024-01-01 [--end 2024-01-03]

Same rules and outputs as floor_polars.py: read_csv / read_json(lines=True) as text, type with
to_numeric / to_datetime(utc=True, format="ISO8601"), filter on the contract's rules, merge the
fx rates, sort_values + drop_duplicates, groupby-agg, to_parquet.
"""

import time

started = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

imported = time.perf_counter()

EVENT_COLUMNS = [
    "event_id", "user_id", "session_id", "event_type", "event_ts",
    "amount", "currency", "country", "device", "metadata",
]  # fmt: skip
TEXT_COLUMNS = ["event_id", "session_id", "event_type", "event_ts", "currency", "country", "device"]
EVENT_TYPES = ["view", "click", "add_to_cart", "purchase", "login", "logout", "search"]
DEVICES = ["web", "ios", "android"]
HAS_OFFSET = r"(?:Z|z|[+-]\d{2}:?\d{2})$"


def read_events(folder: Path) -> pd.DataFrame:
    """Every event file of a day, with its file's rank (by name) and row number."""
    frames = []
    for rank, path in enumerate(sorted(folder.iterdir())):
        if path.name.endswith((".csv", ".csv.gz")):  # compression inferred from the name
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            frame = pd.read_json(path, lines=True, dtype=False, convert_dates=False)
        frame = frame.reindex(columns=EVENT_COLUMNS)
        frame["_file"] = rank
        frame["_line"] = np.arange(len(frame))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def read_rates(folder: Path) -> pd.DataFrame:
    rates = pd.concat(
        pd.read_csv(path, dtype={"currency": str, "usd_per_unit": float}) for path in folder.glob("*.csv")
    )
    return pd.concat([rates, pd.DataFrame({"currency": ["USD"], "usd_per_unit": [1.0]})], ignore_index=True)


def clean(events: pd.DataFrame, rates: pd.DataFrame, day: date) -> pd.DataFrame:
    for column in TEXT_COLUMNS:  # blank (or absent in JSON) means missing
        text = events[column].astype("string").str.strip()
        events[column] = text.mask(text == "")
    events["user_id"] = pd.to_numeric(events["user_id"], errors="coerce")
    events["amount"] = pd.to_numeric(events["amount"], errors="coerce")
    has_offset = events["event_ts"].str.contains(HAS_OFFSET, na=False)
    events["event_ts"] = pd.to_datetime(events["event_ts"], utc=True, format="ISO8601", errors="coerce")
    events["currency"] = events["currency"].str.upper()
    events = events.merge(rates, on="currency", how="left")
    start = pd.Timestamp(day, tz="UTC")
    purchase = events["event_type"] == "purchase"
    valid = (
        events["event_id"].notna()
        & (events["user_id"] > 0)
        & (events["user_id"] % 1 == 0)
        & events["session_id"].notna()
        & events["event_type"].isin(EVENT_TYPES)
        & has_offset
        & (events["event_ts"] >= start)
        & (events["event_ts"] < start + pd.Timedelta(days=1))
        & (~purchase | ((events["amount"] > 0) & np.isfinite(events["amount"]) & events["usd_per_unit"].notna()))
        & (events["country"].isna() | events["country"].str.fullmatch(r"[A-Z]{2}").fillna(False))
        & (events["device"].isna() | events["device"].isin(DEVICES))
    ).fillna(False)
    events = events[valid].copy()
    events["user_id"] = events["user_id"].astype("int64")
    events["amount_usd"] = (events["amount"] * events["usd_per_unit"]).where(events["event_type"] == "purchase")
    # The latest event_ts wins; ties go to the last record by (file, line).
    events = events.sort_values(["event_ts", "_file", "_line"]).drop_duplicates("event_id", keep="last")
    events["date"] = day
    return events


def user_metrics(events: pd.DataFrame) -> pd.DataFrame:
    return (
        events.assign(is_purchase=events["event_type"] == "purchase")
        .groupby(["date", "user_id"], as_index=False)
        .agg(
            events=("event_id", "size"),
            sessions=("session_id", "nunique"),
            purchases=("is_purchase", "sum"),
            revenue_usd=("amount_usd", "sum"),
            first_event_ts=("event_ts", "min"),
            last_event_ts=("event_ts", "max"),
        )
    )


def event_summary(events: pd.DataFrame) -> pd.DataFrame:
    return events.groupby(["date", "event_type"], as_index=False).agg(
        events=("event_id", "size"), users=("user_id", "nunique"), revenue_usd=("amount_usd", "sum")
    )


def run_day(landing: Path, out: Path, day: date) -> int:
    """One day, landing files to the two aggregates; returns the clean event count."""
    events = clean(
        read_events(landing / "events" / f"date={day}"), read_rates(landing / "fx_rates" / f"date={day}"), day
    )
    for name, table in (("daily_user_metrics", user_metrics), ("daily_event_summary", event_summary)):
        target = out / name / f"date={day}"
        target.mkdir(parents=True, exist_ok=True)
        table(events).to_parquet(target / "data.parquet", index=False)
    return len(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--start", type=date.fromisoformat, required=True)
    parser.add_argument("--end", type=date.fromisoformat, help="last day (default: --start)")
    args = parser.parse_args()
    days = [args.start + timedelta(days=n) for n in range(((args.end or args.start) - args.start).days + 1)]
    run_started = time.perf_counter()
    clean_rows = sum(run_day(args.landing, args.out, day) for day in days)
    finished = time.perf_counter()
    figures = {"variant": "pandas", "import_s": imported - started, "execution_s": finished - run_started}
    print(json.dumps(figures | {"days": len(days), "clean_rows": clean_rows}))


if __name__ == "__main__":
    main()
