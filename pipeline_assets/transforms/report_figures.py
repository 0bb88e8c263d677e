"""The daily report's figures from the day's tables (pure Polars, no rendering).

Every figure is a typed table: counts are Int64, money Decimal(38, 2) (summed exactly, then
rounded to the cent, half to even; see `money`), shares Decimal(9, 6) fractions. The page and the CSVs beside it show the
same tables, so what a reader sees is what a script reads.
"""

from dataclasses import dataclass
from datetime import date

import polars as pl

from pipeline_assets.transforms.aggregates import ROLLING_WINDOW_DAYS, exact_part, exact_sum, other_amounts
from pipeline_assets.transforms.clean import EVENT_TYPES

MONEY, SHARE, COUNT = pl.Decimal(38, 2), pl.Decimal(9, 6), pl.Int64
FUNNEL_STEPS = ("view", "click", "add_to_cart", "purchase")
UNKNOWN_COUNTRY = "(none)"
TOP_USERS = 10


@dataclass(frozen=True)
class DataQuality:
    """The day's reconciliation: landing records = clean + rejected + duplicates removed."""

    landed_records: int
    rejected_records: int
    duplicates_removed: int


@dataclass(frozen=True)
class Window:
    """The 7-day window ending the day: its totals, and how many of its days the history holds."""

    revenue_usd_7d: float
    active_users_7d: int
    days_in_window: int


@dataclass(frozen=True)
class ReportFigures:
    """Every table the report shows, named as its CSV file is (``<name>.csv``)."""

    day: date
    headline: pl.DataFrame  # one row, with the window's totals
    events_by_type: pl.DataFrame
    activity_by_hour: pl.DataFrame
    funnel: pl.DataFrame
    revenue_by_currency: pl.DataFrame
    revenue_by_country: pl.DataFrame
    top_users: pl.DataFrame
    amount_fences: pl.DataFrame
    amount_outliers: pl.DataFrame
    rejected_by_reason: pl.DataFrame
    window_trend: pl.DataFrame
    days_in_window: int
    purchase_amounts_usd: pl.Series  # for the histogram only, not written out

    def tables(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}


TABLES = (
    "headline", "events_by_type", "activity_by_hour", "funnel", "revenue_by_currency", "revenue_by_country",
    "top_users", "amount_fences", "amount_outliers", "rejected_by_reason", "window_trend",
)  # fmt: skip


def report_figures(
    day: date,
    clean: pl.DataFrame,
    purchases: pl.DataFrame,
    rejected: pl.DataFrame,
    quality: DataQuality,
    event_summary: pl.DataFrame,
    user_metrics: pl.DataFrame,
    window_user_metrics: pl.DataFrame,
    window_days: list[str],
    window: Window,
) -> ReportFigures:
    """The day's figures: ``clean`` is its clean_events (every row; user_id, session_id,
    event_type, event_ts and amount_usd are read), ``purchases`` its purchases among them with
    every column the purchase figures show (event_id, amount, currency, country too: a day's
    largest table is not held whole for the few rows that need them), ``rejected`` its
    rejected_events, ``event_summary`` and ``user_metrics`` its daily_event_summary and
    daily_user_metrics, ``window_user_metrics`` the daily_user_metrics of ``window_days``."""
    fences = amount_fences(purchases)
    totals = pl.DataFrame(
        {"revenue_usd_7d": [window.revenue_usd_7d], "active_users_7d": [window.active_users_7d],
         "days_in_window": [window.days_in_window]},
    ).select(money(pl.col("revenue_usd_7d")), pl.exclude("revenue_usd_7d").cast(COUNT))  # fmt: skip
    return ReportFigures(
        day=day,
        headline=pl.concat([headline(clean, quality), totals], how="horizontal"),
        events_by_type=events_by_type(event_summary),
        activity_by_hour=activity_by_hour(clean),
        funnel=funnel(clean),
        revenue_by_currency=revenue_by_currency(purchases),
        revenue_by_country=revenue_by_country(purchases),
        top_users=top_users(user_metrics),
        amount_fences=fences,
        amount_outliers=amount_outliers(purchases, fences),
        rejected_by_reason=rejected_by_reason(rejected),
        window_trend=window_trend(window_user_metrics, day, window_days),
        days_in_window=window.days_in_window,
        purchase_amounts_usd=_purchases(purchases)["amount_usd"],
    )


def money(value: pl.Expr) -> pl.Expr:
    """A Float64 amount to the cent. Decimal(38, 2) holds any money; a legal decimal beyond 1e36
    (the contract sets no bound) is shown as missing rather than failing the report."""
    return value.round(2).cast(MONEY, strict=False)


def money_sum(column: str) -> pl.Expr:
    """The exact sum of a money column, to the cent (0 when there is nothing to add); a float's
    sum where the exact decimal does not hold every amount (`aggregates.exact_part`: amounts of
    1e18 or more, or under a millionth, legal decimals if unlikely money), which failed the report."""
    exact = exact_part(column).round(2).cast(MONEY)
    return pl.when(other_amounts(column).count() == 0).then(exact).otherwise(money(exact_sum(column))).alias(column)


def share(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    """part / whole as a fraction, 0 when the whole is 0."""
    return pl.when(whole > 0).then(part / whole).otherwise(0.0).round(6).cast(SHARE)


def data_quality(raw_lines: pl.LazyFrame, clean_rows: int, rejected: pl.DataFrame) -> DataQuality:
    """The day's counts from its tables: landed records are the parsable ones (raw_events'
    ``_source_file``/``_source_line``) plus the unparsable ones (rejected records at a line not in
    raw_events); whatever landed and is neither clean nor rejected was a re-sent duplicate.

    raw_events' lines are streamed past the day's few rejected ones, never held: a 10M-record
    day's lines held and joined took 1.5 GB, the whole graph's memory peak."""
    keys = ["_source_file", "_source_line"]
    raw = raw_lines.select(keys)
    raw_rows, rejected_in_raw = pl.collect_all(
        [raw.select(pl.len()), raw.join(rejected.lazy().select(keys).unique(), on=keys, how="semi")],
        engine="streaming",
    )
    unparsable = rejected.select(keys).join(rejected_in_raw, on=keys, how="anti").height
    landed = raw_rows.item() + unparsable
    return DataQuality(landed, rejected.height, landed - clean_rows - rejected.height)


def headline(clean: pl.DataFrame, quality: DataQuality) -> pl.DataFrame:
    """One row: events, users, sessions, purchases, revenue_usd and the day's data quality."""
    figures = clean.select(
        pl.len().cast(COUNT).alias("events"),
        pl.col("user_id").n_unique().cast(COUNT).alias("users"),
        pl.col("session_id").n_unique().cast(COUNT).alias("sessions"),
        (pl.col("event_type") == "purchase").sum().cast(COUNT).alias("purchases"),
        money_sum("amount_usd").alias("revenue_usd"),
    )
    landed, rejected = pl.lit(quality.landed_records, COUNT), pl.lit(quality.rejected_records, COUNT)
    return figures.with_columns(
        landed.alias("landed_records"),
        rejected.alias("rejected_records"),
        share(rejected, landed).alias("rejected_share"),
        pl.lit(quality.duplicates_removed, COUNT).alias("duplicates_removed"),
    )


def events_by_type(event_summary: pl.DataFrame) -> pl.DataFrame:
    """Events and distinct users per event type (from daily_event_summary), every type of the
    contract listed (0 when absent)."""
    counts = event_summary.select("event_type", pl.col("events", "users").cast(COUNT))
    extra = sorted(set(counts["event_type"]) - set(EVENT_TYPES))
    types = pl.DataFrame({"event_type": [*EVENT_TYPES, *extra]})
    return types.join(counts, on="event_type", how="left", maintain_order="left").fill_null(0)


def activity_by_hour(clean: pl.DataFrame) -> pl.DataFrame:
    """Events, distinct users and sessions per UTC hour, all 24 hours listed."""
    counts = clean.group_by(pl.col("event_ts").dt.hour().cast(COUNT).alias("hour_utc")).agg(
        pl.len().cast(COUNT).alias("events"),
        pl.col("user_id").n_unique().cast(COUNT).alias("users"),
        pl.col("session_id").n_unique().cast(COUNT).alias("sessions"),
    )
    hours = pl.DataFrame({"hour_utc": range(24)}, schema={"hour_utc": COUNT})
    return hours.join(counts, on="hour_utc", how="left", maintain_order="left").fill_null(0)


def funnel(clean: pl.DataFrame) -> pl.DataFrame:
    """Sessions reaching each step of view -> click -> add_to_cart -> purchase, a step counting only
    sessions that also reached every earlier one (so the counts never rise), with each step's share
    of the first step and of the step before."""
    reached = (
        clean.filter(pl.col("event_type").is_in(FUNNEL_STEPS))
        .group_by("session_id")
        .agg(*[(pl.col("event_type") == step).any().alias(step) for step in FUNNEL_STEPS])
    )
    counts, through = [], pl.lit(True)
    for step in FUNNEL_STEPS:
        through = through & pl.col(step)
        counts.append(reached.select(through.sum()).item() if reached.height else 0)
    steps = pl.DataFrame({"step": FUNNEL_STEPS, "sessions": counts}, schema={"step": pl.String, "sessions": COUNT})
    return steps.with_columns(
        share(pl.col("sessions"), pl.col("sessions").first()).alias("share_of_first"),
        share(pl.col("sessions"), pl.col("sessions").shift(1).fill_null(pl.col("sessions"))).alias("share_of_previous"),
    )


def _purchases(clean: pl.DataFrame) -> pl.DataFrame:
    return clean.filter(pl.col("event_type") == "purchase")


def revenue_by_currency(clean: pl.DataFrame) -> pl.DataFrame:
    """Per purchase currency: purchases, the amount in that currency, and its USD value."""
    return (
        _purchases(clean)
        .group_by("currency")
        .agg(pl.len().cast(COUNT).alias("purchases"), money_sum("amount").alias("amount"), money_sum("amount_usd"))
        .rename({"amount_usd": "revenue_usd"})
        .sort("revenue_usd", "currency", descending=[True, False])
    )


def revenue_by_country(clean: pl.DataFrame) -> pl.DataFrame:
    """Per country (UNKNOWN_COUNTRY when none was given): purchases, buyers and USD revenue."""
    return (
        _purchases(clean)
        .with_columns(pl.col("country").fill_null(UNKNOWN_COUNTRY))
        .group_by("country")
        .agg(
            pl.len().cast(COUNT).alias("purchases"),
            pl.col("user_id").n_unique().cast(COUNT).alias("buyers"),
            money_sum("amount_usd").alias("revenue_usd"),
        )
        .sort("revenue_usd", "country", descending=[True, False])
    )


def top_users(user_metrics: pl.DataFrame, limit: int = TOP_USERS) -> pl.DataFrame:
    """The day's ``limit`` users with the most revenue (ties: the lower user_id first)."""
    return (
        user_metrics.select(
            pl.col("user_id").cast(COUNT),
            *[pl.col(c).cast(COUNT) for c in ("events", "sessions", "purchases")],
            money(pl.col("revenue_usd")),
        )
        .sort("revenue_usd", "user_id", descending=[True, False])
        .head(limit)
    )


def amount_fences(clean: pl.DataFrame) -> pl.DataFrame:
    """The IQR rule on purchase amounts in USD: one row with q1, q3 and the fences q1 - 1.5 IQR and
    q3 + 1.5 IQR (quartiles interpolated linearly; nulls when there was no purchase)."""
    amounts = pl.col("amount_usd")
    quartiles = _purchases(clean).select(
        amounts.quantile(0.25, interpolation="linear").alias("q1"),
        amounts.quantile(0.75, interpolation="linear").alias("q3"),
    )
    iqr = pl.col("q3") - pl.col("q1")
    return quartiles.select(
        pl.col("q1"), pl.col("q3"), (pl.col("q1") - 1.5 * iqr).alias("low_fence"), (pl.col("q3") + 1.5 * iqr).alias("high_fence")
    ).select(money(pl.all()))  # fmt: skip


def amount_outliers(clean: pl.DataFrame, fences: pl.DataFrame) -> pl.DataFrame:
    """The purchases outside the fences, largest first."""
    low, high = fences.row(0)[2:] if fences.height else (None, None)
    if low is None:
        return pl.DataFrame(schema={"event_id": pl.String, "user_id": COUNT, "amount": MONEY, "currency": pl.String, "amount_usd": MONEY})  # fmt: skip
    outside = (pl.col("amount_usd") < float(low)) | (pl.col("amount_usd") > float(high))
    return (
        _purchases(clean)
        .filter(outside)
        .select(
            "event_id",
            pl.col("user_id").cast(COUNT),
            money(pl.col("amount")),
            "currency",
            money(pl.col("amount_usd")),
        )
        .sort("amount_usd", "event_id", descending=[True, False])
    )


def rejected_by_reason(rejected: pl.DataFrame) -> pl.DataFrame:
    """Rejected records per reason, the most frequent first."""
    return (
        rejected.group_by("reject_reason")
        .agg(pl.len().cast(COUNT).alias("records"))
        .sort("records", "reject_reason", descending=[True, False])
    )


def window_trend(window_user_metrics: pl.DataFrame, day: date, window_days: list[str]) -> pl.DataFrame:
    """Revenue and active users of each day of the 7-day window ending ``day`` that the history
    holds (``window_days``: days before the partitions' start are not listed)."""
    days = pl.DataFrame({"date": [date.fromisoformat(d) for d in window_days]}, schema={"date": pl.Date})
    per_day = window_user_metrics.group_by("date").agg(
        money_sum("revenue_usd").alias("revenue_usd"), pl.col("user_id").n_unique().cast(COUNT).alias("active_users")
    )
    trend = days.join(per_day, on="date", how="left").sort("date")
    return trend.with_columns(pl.col("revenue_usd").fill_null(0), pl.col("active_users").fill_null(0)).filter(
        pl.col("date") <= day
    )


def window_label(days_in_window: int) -> str:
    """How much of the window there is: "1 of 7 days" on the first day of the history."""
    return f"{days_in_window} of {ROLLING_WINDOW_DAYS} days"
