"""The report's figures, computed alone from small hand-made tables (no rendering, no Dagster)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest

from pipeline_assets.number_format import frame_text, value_text
from pipeline_assets.transforms.aggregates import daily_event_summary
from pipeline_assets.transforms.clean import EVENT_TYPES
from pipeline_assets.transforms.report_figures import (
    COUNT,
    MONEY,
    SHARE,
    DataQuality,
    activity_by_hour,
    amount_fences,
    amount_outliers,
    data_quality,
    events_by_type,
    funnel,
    headline,
    rejected_by_reason,
    revenue_by_country,
    revenue_by_currency,
    window_label,
    window_trend,
)

DAY = date(2024, 3, 1)


def events(rows: list[tuple]) -> pl.DataFrame:
    """(session_id, user_id, event_type, hour, amount_usd) rows as clean_events columns."""
    return pl.DataFrame(
        [
            {"event_id": f"e{i}", "session_id": s, "user_id": u, "event_type": t,
             "event_ts": datetime(2024, 3, 1, h, tzinfo=UTC), "amount": a, "currency": "USD" if a else None,
             "amount_usd": a, "country": "US" if u % 2 else None}
            for i, (s, u, t, h, a) in enumerate(rows)
        ],
        schema_overrides={"amount": pl.Float64, "amount_usd": pl.Float64, "currency": pl.String, "country": pl.String},
    )  # fmt: skip


def test_funnel_counts_sessions_that_reached_every_earlier_step():
    clean = events(
        [("a", 1, "view", 1, None), ("a", 1, "click", 1, None), ("a", 1, "add_to_cart", 1, None),
         ("a", 1, "purchase", 1, 10.0), ("b", 2, "view", 2, None), ("b", 2, "click", 2, None),
         ("c", 3, "view", 3, None), ("d", 4, "add_to_cart", 4, None), ("d", 4, "purchase", 4, 5.0)]
    )  # fmt: skip
    result = funnel(clean)
    # Session d bought without a view: it counts at no step, so the counts never rise.
    assert result.rows() == [
        ("view", 3, Decimal("1.000000"), Decimal("1.000000")),
        ("click", 2, Decimal("0.666667"), Decimal("0.666667")),
        ("add_to_cart", 1, Decimal("0.333333"), Decimal("0.500000")),
        ("purchase", 1, Decimal("0.333333"), Decimal("1.000000")),
    ]
    assert result.schema == {"step": pl.String, "sessions": COUNT, "share_of_first": SHARE, "share_of_previous": SHARE}


def test_funnel_of_a_day_without_views_is_zeros():
    assert funnel(events([("a", 1, "login", 1, None)]))["sessions"].to_list() == [0, 0, 0, 0]


def test_money_beyond_what_an_exact_decimal_holds_does_not_fail_the_report():
    """Legal decimals a Decimal(38, 9) sum cannot hold (1e30) are summed as floats, and one beyond
    what Decimal(38, 2) shows (1e40) is shown as missing: casting them failed the whole report."""
    huge = [(f"s{i}", i, "purchase", 1, a) for i, a in enumerate([10.0, 20.0, 30.0, 40.0, 1e30, 2.5])]
    by_currency = revenue_by_currency(events(huge))
    assert float(by_currency["revenue_usd"].item()) == pytest.approx(1e30, rel=1e-15)
    outliers = amount_outliers(events(huge), amount_fences(events(huge)))["amount_usd"]
    assert [float(amount) for amount in outliers] == [pytest.approx(1e30, rel=1e-15)]
    beyond = revenue_by_currency(events([("a", 1, "purchase", 1, 1e40), ("b", 2, "purchase", 1, 5.0)]))
    assert beyond["revenue_usd"].to_list() == [None]
    ordinary = revenue_by_currency(events([(f"s{i}", i, "purchase", 1, 0.1) for i in range(10)]))
    assert ordinary["revenue_usd"].to_list() == [Decimal("1.00")]  # still exact: ten 0.1 as floats are 0.999...


def test_iqr_fences_and_outliers():
    amounts = [10.0, 20.0, 30.0, 40.0, 50.0, 1_000.0, 0.01]
    clean = events([(f"s{i}", i, "purchase", 1, a) for i, a in enumerate(amounts)] + [("v", 9, "view", 1, None)])
    fences = amount_fences(clean)
    # Linear quartiles of the 7 amounts: q1 = 15, q3 = 45, IQR 30, fences -30 and 90.
    assert fences.rows() == [(Decimal("15.00"), Decimal("45.00"), Decimal("-30.00"), Decimal("90.00"))]
    outliers = amount_outliers(clean, fences)
    assert outliers["amount_usd"].to_list() == [Decimal("1000.00")]
    assert outliers.schema["amount_usd"] == MONEY and outliers.schema["user_id"] == COUNT


def test_no_purchase_gives_no_fences_and_no_outliers():
    clean = events([("a", 1, "view", 1, None)])
    fences = amount_fences(clean)
    assert fences.rows() == [(None, None, None, None)]
    assert amount_outliers(clean, fences).is_empty()


def test_window_trend_lists_the_days_the_history_holds():
    metrics = pl.DataFrame(
        {"date": [date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 1)], "user_id": [1, 1, 2],
         "revenue_usd": [1.10, 2.206, 3.0]},
    )  # fmt: skip
    trend = window_trend(metrics, DAY, ["2024-02-28", "2024-02-29", "2024-03-01"])
    assert trend.rows() == [
        (date(2024, 2, 28), Decimal("0.00"), 0),  # a day of the window with no user
        (date(2024, 2, 29), Decimal("1.10"), 1),
        (date(2024, 3, 1), Decimal("5.21"), 2),  # summed exactly, then rounded: 5.206 -> 5.21
    ]
    assert window_label(1) == "1 of 7 days" and window_label(7) == "7 of 7 days"


def test_data_quality_counts_unparsable_records_and_duplicates():
    raw = pl.DataFrame({"_source_file": ["a.csv"] * 5, "_source_line": [2, 3, 4, 5, 6]})
    rejected = pl.DataFrame({"_source_file": ["a.csv", "a.csv"], "_source_line": [3, 7], "reject_reason": ["x", "y"]})
    # 5 parsable + 1 unparsable (line 7) landed; 2 rejected; 3 clean: one duplicate removed.
    assert data_quality(raw.lazy(), 3, rejected) == DataQuality(
        landed_records=6, rejected_records=2, duplicates_removed=1
    )
    # Unparsable and parsable rejected records in other numbers, so that each side counts as its own.
    rejected = pl.DataFrame({"_source_file": ["a.csv"] * 3, "_source_line": [3, 7, 8], "reject_reason": ["x"] * 3})
    assert data_quality(raw.lazy(), 2, rejected) == DataQuality(
        landed_records=7, rejected_records=3, duplicates_removed=2
    )


def test_headline_is_typed_and_counts_distinct_sessions():
    clean = events([("a", 1, "view", 1, None), ("a", 1, "purchase", 2, 0.1), ("b", 1, "purchase", 3, 0.2)])
    row = headline(clean, DataQuality(landed_records=8, rejected_records=2, duplicates_removed=3))
    assert row.rows(named=True) == [
        {"events": 3, "users": 1, "sessions": 2, "purchases": 2, "revenue_usd": Decimal("0.30"),
         "landed_records": 8, "rejected_records": 2, "rejected_share": Decimal("0.250000"), "duplicates_removed": 3}
    ]  # fmt: skip
    assert row.schema["revenue_usd"] == MONEY and row.schema["events"] == COUNT
    assert "0.3" in row.write_csv() and ".0," not in row.write_csv()  # counts are written as integers


def test_events_by_type_lists_every_type_and_activity_every_hour():
    clean = events([("a", 1, "view", 5, None), ("a", 1, "view", 5, None), ("b", 2, "search", 23, None)])
    summary = daily_event_summary(clean.with_columns(pl.lit(DAY).alias("date")).lazy()).collect()
    by_type = events_by_type(summary)
    assert by_type["event_type"].to_list() == list(EVENT_TYPES)
    assert by_type.filter(pl.col("event_type").is_in(["view", "search", "click"])).rows() == [
        ("view", 2, 1),
        ("click", 0, 0),
        ("search", 1, 1),
    ]
    assert by_type.schema == {"event_type": pl.String, "events": COUNT, "users": COUNT}
    hours = activity_by_hour(clean)
    assert hours["hour_utc"].to_list() == list(range(24)) and hours["events"].sum() == 3
    assert hours.filter(pl.col("hour_utc") == 5).row(0) == (5, 2, 1, 1)


def test_revenue_by_currency_and_country_and_rejected_reasons():
    clean = events([("a", 1, "purchase", 1, 10.0), ("b", 2, "purchase", 1, 5.5), ("c", 2, "purchase", 1, 1.0)])
    assert revenue_by_currency(clean).rows() == [("USD", 3, Decimal("16.50"), Decimal("16.50"))]
    assert revenue_by_country(clean).rows() == [("US", 1, 1, Decimal("10.00")), ("(none)", 2, 1, Decimal("6.50"))]
    reasons = rejected_by_reason(pl.DataFrame({"reject_reason": ["b", "a", "b"]}))
    assert reasons.rows() == [("b", 2), ("a", 1)]


@pytest.mark.parametrize(
    "value, dtype, text",
    [
        (1234567, COUNT, "1,234,567"),
        (Decimal("1234.5"), MONEY, "1,234.50"),
        (Decimal("0.0018"), SHARE, "0.18 %"),
        (None, MONEY, "–"),
        (date(2024, 3, 1), pl.Date, "2024-03-01"),
        ("view", pl.String, "view"),
    ],
)
def test_one_number_format(value, dtype, text):
    assert value_text(value, dtype) == text
    assert frame_text(pl.DataFrame({"x": [value]}, schema={"x": dtype})) == [[text]]
