"""The daily aggregates on small hand-made clean frames, and the Pandera models that check them."""

from datetime import UTC, date, datetime, timedelta

import pandera.errors
import polars as pl
import pytest

from pipeline_assets.schemas import DailyEventSummary, DailyUserMetrics, RollingRevenue7d
from pipeline_assets.transforms.aggregates import (
    DAILY_EVENT_SUMMARY_COLUMNS,
    DAILY_USER_METRICS_COLUMNS,
    ROLLING_REVENUE_COLUMNS,
    daily_event_summary,
    daily_user_metrics,
    rolling_revenue_7d,
)
from pipeline_assets.transforms.clean import CLEAN_COLUMNS

DAY = date(2024, 3, 5)


def at(hour: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def clean(*events: tuple) -> pl.DataFrame:
    """Clean events from (user_id, session_id, event_type, hour, amount_usd) tuples, on DAY."""
    rows = [
        {"date": DAY, "event_id": f"e{n}", "user_id": user, "session_id": session, "event_type": kind,
         "event_ts": at(hour), "amount_usd": usd, "_source_line": n + 2}
        for n, (user, session, kind, hour, usd) in enumerate(events)
    ]  # fmt: skip
    return pl.DataFrame(rows, schema={c: CLEAN_COLUMNS[c] for c in rows[0]})


EVENTS = clean(
    (7, "s1", "view", 9, None),
    (7, "s1", "purchase", 10, 12.5),
    (7, "s2", "purchase", 15, 7.25),
    (7, "s2", "click", 8, None),
    (3, "s9", "view", 12, None),
    (3, "s9", "search", 13, None),
    (11, "s5", "purchase", 23, 100.0),
)


def test_daily_user_metrics():
    metrics = daily_user_metrics(EVENTS.lazy()).collect()
    assert metrics.schema == pl.Schema(DAILY_USER_METRICS_COLUMNS)
    assert metrics.rows() == [
        (DAY, 3, 2, 1, 0, 0.0, at(12), at(13)),
        (DAY, 7, 4, 2, 2, 19.75, at(8), at(15)),
        (DAY, 11, 1, 1, 1, 100.0, at(23), at(23)),
    ]
    DailyUserMetrics.validate(metrics)


def test_daily_event_summary():
    summary = daily_event_summary(EVENTS.lazy()).collect()
    assert summary.schema == pl.Schema(DAILY_EVENT_SUMMARY_COLUMNS)
    assert summary.rows() == [
        (DAY, "click", 1, 1, 0.0),
        (DAY, "purchase", 3, 2, 119.75),
        (DAY, "search", 1, 1, 0.0),
        (DAY, "view", 2, 2, 0.0),
    ]
    DailyEventSummary.validate(summary)


def test_revenue_is_the_exact_sum_of_ordinary_amounts():
    """Money sums exactly (a float sum of ten 0.1 is 0.9999999999999999), in any row order."""
    tenths = clean(*[(7, "s1", "purchase", 10, 0.1)] * 10)
    for events in (tenths, tenths.reverse()):
        assert daily_user_metrics(events.lazy()).collect()["revenue_usd"].to_list() == [1.0]


def test_revenue_of_amounts_no_money_decimal_holds():
    """Legal decimals beyond a 38-digit decimal at a billionth (1e30; two that add up past it) or
    below its precision (4e-10) are summed too, instead of failing the day or vanishing."""
    events = clean(
        (1, "s1", "purchase", 10, 1e30), (1, "s1", "purchase", 11, 2.5),
        (2, "s2", "purchase", 10, 5e28), (2, "s2", "purchase", 11, 6e28),
        (3, "s3", "purchase", 10, 4e-10),
    )  # fmt: skip
    metrics = daily_user_metrics(events.lazy()).collect()
    assert metrics["revenue_usd"].to_list() == [1e30 + 2.5, 5e28 + 6e28, 4e-10]
    summary = daily_event_summary(events.lazy()).collect()
    assert summary["revenue_usd"].to_list() == [pytest.approx(1e30 + 1.1e29, rel=1e-15)]
    DailyUserMetrics.validate(metrics)


def test_aggregates_of_an_empty_day():
    empty = EVENTS.clear()
    assert daily_user_metrics(empty.lazy()).collect().is_empty()
    assert daily_event_summary(empty.lazy()).collect().is_empty()


# -- rolling 7 days ---------------------------------------------------------------------------------
def user_metrics(*rows: tuple) -> pl.DataFrame:
    """daily_user_metrics rows from (days before DAY, user_id, revenue_usd) tuples."""
    frame = [
        {"date": DAY - timedelta(days=back), "user_id": user, "events": 1, "sessions": 1, "purchases": 1,
         "revenue_usd": revenue, "first_event_ts": at(1), "last_event_ts": at(2)}
        for back, user, revenue in rows
    ]  # fmt: skip
    return pl.DataFrame(frame, schema=DAILY_USER_METRICS_COLUMNS)


def rolling(frame: pl.DataFrame, days_in_window: int = 7) -> pl.DataFrame:
    result = rolling_revenue_7d(frame.lazy(), DAY, days_in_window).collect()
    assert result.schema == pl.Schema(ROLLING_REVENUE_COLUMNS)
    RollingRevenue7d.validate(result)
    return result


def test_rolling_revenue_sums_the_seven_days_ending_the_day():
    window = user_metrics(
        (0, 7, 10.0),
        (0, 3, 0.0),
        (2, 7, 5.5),  # the same user on another day counts once
        (6, 9, 1.25),  # the window's first day, 2024-02-28
        (7, 8, 1000.0),  # one day too early
        (-1, 4, 2000.0),  # the day after
    )
    assert rolling(window).rows() == [(DAY, 16.75, 3, date(2024, 2, 28), 7)]


def test_rolling_revenue_of_a_short_history():
    assert rolling(user_metrics((0, 5, 2.5)), days_in_window=2).rows() == [(DAY, 2.5, 1, date(2024, 2, 28), 2)]


def test_rolling_revenue_of_a_quiet_week():
    assert rolling(user_metrics().clear()).rows() == [(DAY, 0.0, 0, date(2024, 2, 28), 7)]


# -- the models reject bad frames -------------------------------------------------------------------
def _user_metrics_frame() -> pl.DataFrame:
    return daily_user_metrics(EVENTS.lazy()).collect()


def _summary_frame() -> pl.DataFrame:
    return daily_event_summary(EVENTS.lazy()).collect()


def _rolling_frame() -> pl.DataFrame:
    return rolling_revenue_7d(user_metrics((0, 5, 2.5)).lazy(), DAY, 7).collect()


def _set(column: str, value: object, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.lit(value, frame.schema[column]).alias(column))


BAD_FRAMES = {
    "repeated date and user": (DailyUserMetrics, lambda: pl.concat([_user_metrics_frame(), _user_metrics_frame()[0]])),
    "user_id 0": (DailyUserMetrics, lambda: _set("user_id", 0, _user_metrics_frame())),
    "more sessions than events": (DailyUserMetrics, lambda: _set("sessions", 9, _user_metrics_frame())),
    "negative revenue": (DailyUserMetrics, lambda: _set("revenue_usd", -1.0, _user_metrics_frame())),
    "first after last": (DailyUserMetrics, lambda: _set("first_event_ts", at(23), _user_metrics_frame())),
    "missing column": (DailyUserMetrics, lambda: _user_metrics_frame().drop("sessions")),
    "unknown event type": (DailyEventSummary, lambda: _set("event_type", "purchased", _summary_frame())),
    "no users": (DailyEventSummary, lambda: _set("users", 0, _summary_frame())),
    "extra column": (DailyEventSummary, lambda: _summary_frame().with_columns(extra=pl.lit(1))),
    "wrong dtype": (DailyEventSummary, lambda: _summary_frame().with_columns(pl.col("events").cast(pl.Int64))),
    "8 days in window": (RollingRevenue7d, lambda: _set("days_in_window", 8, _rolling_frame())),
    "0 days in window": (RollingRevenue7d, lambda: _set("days_in_window", 0, _rolling_frame())),
    "repeated date": (RollingRevenue7d, lambda: pl.concat([_rolling_frame(), _rolling_frame()])),
}


@pytest.mark.parametrize("model, bad_frame", BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
def test_model_rejects_a_bad_frame(model, bad_frame):
    with pytest.raises((pandera.errors.SchemaError, pandera.errors.SchemaErrors)):
        model.validate(bad_frame())
