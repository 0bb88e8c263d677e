"""Clean events to the daily aggregates (pure Polars, lazy)."""

from datetime import date

import polars as pl

ROLLING_WINDOW_DAYS = 7

DAILY_USER_METRICS_COLUMNS = {
    "date": pl.Date,
    "user_id": pl.Int64,
    "events": pl.UInt32,
    "sessions": pl.UInt32,
    "purchases": pl.UInt32,
    "revenue_usd": pl.Float64,
    "first_event_ts": pl.Datetime("us", "UTC"),
    "last_event_ts": pl.Datetime("us", "UTC"),
}
DAILY_EVENT_SUMMARY_COLUMNS = {
    "date": pl.Date,
    "event_type": pl.String,
    "events": pl.UInt32,
    "users": pl.UInt32,
    "revenue_usd": pl.Float64,
}
ROLLING_REVENUE_COLUMNS = {
    "date": pl.Date,
    "revenue_usd_7d": pl.Float64,
    "active_users_7d": pl.UInt32,
    "window_start": pl.Date,
    "days_in_window": pl.UInt32,
}


# Sums of money are taken exactly, at a billionth of a dollar: a float sum depends on the order in
# which the parallel engine adds its chunks, and a day recomputed must give the same bytes.
_EXACT = pl.Decimal(38, 9)
# What that decimal holds without loss: below 1e29 in all, so amounts under 1e18 sum exactly for any
# group of under 1e11 rows; from a millionth of a dollar, its rounding changes a value by under
# 0.1%. Amounts outside (legal decimals, however unlikely as money) are summed as floats instead:
# cast, 1e30 overflowed the decimal and failed the day's aggregates, and 4e-10 summed to 0.
_EXACT_FROM, _EXACT_BELOW = 1e-6, 1e18


def exact_part(column: str) -> pl.Expr:
    """The exact (decimal) sum of the amounts of ``column`` that the decimal holds."""
    return pl.when(_held_exactly(pl.col(column))).then(pl.col(column)).cast(_EXACT).sum()


def other_amounts(column: str) -> pl.Expr:
    """The amounts of ``column`` that the decimal does not hold (none, for ordinary money)."""
    return pl.when(~_held_exactly(pl.col(column))).then(pl.col(column))


def exact_sum(column: str) -> pl.Expr:
    """The sum of a money column as Float64: exact for ordinary money (`other_amounts` add 0)."""
    return (exact_part(column).cast(pl.Float64) + other_amounts(column).sum()).alias(column)


def _held_exactly(value: pl.Expr) -> pl.Expr:
    return (value.abs() >= _EXACT_FROM) & (value.abs() < _EXACT_BELOW)


def _revenue() -> pl.Expr:
    return exact_sum("amount_usd").fill_null(0.0).alias("revenue_usd")


def daily_user_metrics(clean_events: pl.LazyFrame) -> pl.LazyFrame:
    """One row per (date, user_id)."""
    return (
        clean_events.group_by("date", "user_id")
        .agg(
            pl.len().alias("events"),
            pl.col("session_id").n_unique().alias("sessions"),
            (pl.col("event_type") == "purchase").sum().alias("purchases"),
            _revenue(),
            pl.col("event_ts").min().alias("first_event_ts"),
            pl.col("event_ts").max().alias("last_event_ts"),
        )
        .sort("date", "user_id")
        .cast(DAILY_USER_METRICS_COLUMNS)  # type: ignore[arg-type]
    )


def daily_event_summary(clean_events: pl.LazyFrame) -> pl.LazyFrame:
    """One row per (date, event_type) present that day."""
    return (
        clean_events.group_by("date", "event_type")
        .agg(pl.len().alias("events"), pl.col("user_id").n_unique().alias("users"), _revenue())
        .sort("date", "event_type")
        .cast(DAILY_EVENT_SUMMARY_COLUMNS)  # type: ignore[arg-type]
    )


def rolling_revenue_7d(window_user_metrics: pl.LazyFrame, day: date, days_in_window: int) -> pl.LazyFrame:
    """The 7 days ending ``day``, from daily_user_metrics rows of that window only.

    ``days_in_window`` counts the window's days on or after the partitions' start date (earlier
    days count as empty), so a reader can tell a short history from a quiet week.
    """
    window_start = day.fromordinal(day.toordinal() - ROLLING_WINDOW_DAYS + 1)
    return (
        window_user_metrics.filter(pl.col("date").is_between(window_start, day))
        .select(
            pl.lit(day).alias("date"),
            exact_sum("revenue_usd").alias("revenue_usd_7d"),
            pl.col("user_id").n_unique().alias("active_users_7d"),
            pl.lit(window_start).alias("window_start"),
            pl.lit(days_in_window).alias("days_in_window"),
        )
        .cast(ROLLING_REVENUE_COLUMNS)  # type: ignore[arg-type]
    )
