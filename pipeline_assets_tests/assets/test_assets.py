"""Assets invoked directly with build_asset_context: their checks, outputs and failures."""

from datetime import UTC, date, datetime

import dagster as dg
import polars as pl
import pytest

from pipeline_assets.assets.aggregated import daily_event_summary, daily_user_metrics, rolling_revenue_7d
from pipeline_assets.assets.raw import raw_fx_rates
from pipeline_assets.resources import LandingZone, Warehouse

DAY = "2024-01-01"


def _clean(rows: list[tuple[int, str, str, float | None]]) -> pl.LazyFrame:
    """Clean events from (user_id, session_id, event_type, amount_usd)."""
    return pl.LazyFrame(
        {
            "date": [date(2024, 1, 1)] * len(rows),
            "event_id": [f"e{i}" for i in range(len(rows))],
            "user_id": [r[0] for r in rows],
            "session_id": [r[1] for r in rows],
            "event_type": [r[2] for r in rows],
            "amount_usd": [r[3] for r in rows],
            "event_ts": [datetime(2024, 1, 1, i, tzinfo=UTC) for i in range(len(rows))],
        },
        schema_overrides={"amount_usd": pl.Float64, "event_ts": pl.Datetime("us", "UTC")},
    )


def _run(asset, resources=None, **inputs) -> tuple[dict[str, dg.Output], list[dg.AssetCheckResult]]:
    events = list(asset(dg.build_asset_context(partition_key=DAY, resources=resources), **inputs))
    outputs = {e.output_name: e for e in events if isinstance(e, dg.Output)}
    return outputs, [e for e in events if isinstance(e, dg.AssetCheckResult)]


def test_daily_user_metrics_checks_then_outputs_the_day():
    clean = _clean([(1, "a", "view", None), (1, "b", "purchase", 10.0), (2, "c", "click", None)])
    outputs, checks = _run(daily_user_metrics, clean_events={DAY: clean})
    assert [(c.check_name, c.passed) for c in checks] == [("schema", True)]
    frame = outputs["daily_user_metrics"].value[DAY]
    assert frame.select("user_id", "events", "sessions", "purchases", "revenue_usd").rows() == [
        (1, 2, 2, 1, 10.0),
        (2, 1, 1, 0, 0.0),
    ]


def test_daily_event_summary_has_one_row_per_type_present():
    clean = _clean([(1, "a", "view", None), (2, "a", "view", None), (2, "b", "purchase", 4.5)])
    outputs, _ = _run(daily_event_summary, clean_events={DAY: clean})
    assert outputs["daily_event_summary"].value[DAY].select("event_type", "events", "users", "revenue_usd").rows() == [
        ("purchase", 1, 1, 4.5),
        ("view", 2, 2, 0.0),
    ]


def test_rolling_revenue_counts_days_before_the_start_as_empty(tmp_path):
    metrics = pl.LazyFrame(
        {"date": [date(2024, 1, 1)], "user_id": [7], "revenue_usd": [12.5]},
    )
    warehouse = Warehouse(warehouse_url=str(tmp_path))  # holds nothing: no earlier day is needed
    outputs, checks = _run(rolling_revenue_7d, {"warehouse": warehouse}, daily_user_metrics={DAY: metrics})
    row = outputs["rolling_revenue_7d"].value[DAY].row(0, named=True)
    assert (row["revenue_usd_7d"], row["active_users_7d"], row["days_in_window"]) == (12.5, 1, 1)
    assert checks[0].passed


def test_a_failing_schema_check_raises_before_any_output(monkeypatch):
    from pipeline_assets.transforms import aggregates

    monkeypatch.setattr(aggregates, "daily_user_metrics", lambda clean: clean.select(pl.lit(1).alias("oops")))
    events = daily_user_metrics(dg.build_asset_context(partition_key=DAY), clean_events={DAY: _clean([])})
    seen = []
    with pytest.raises(dg.Failure, match="daily_user_metrics schema on 2024-01-01"):
        for event in events:
            seen.append(event)
    assert [type(e) for e in seen] == [dg.AssetCheckResult] and not seen[0].passed


def _fx_context(tmp_path, rates_csv: str) -> dg.AssetExecutionContext:
    """A landing zone with one event file and the given rates file for DAY."""
    landing = tmp_path / "landing"
    for dataset, name, text in (("events", "a.csv", "event_id\n1\n"), ("fx_rates", "rates.csv", rates_csv)):
        (landing / dataset / f"date={DAY}").mkdir(parents=True)
        (landing / dataset / f"date={DAY}" / name).write_text(text)
    return dg.build_asset_context(partition_key=DAY, resources={"landing": LandingZone(landing_url=str(landing))})


def test_raw_fx_rates_types_the_landed_rates(tmp_path):
    context = _fx_context(tmp_path, "usd_per_unit,currency\r\n1.10, eur\r\n")
    outputs = {e.output_name: e for e in raw_fx_rates(context) if isinstance(e, dg.Output)}
    frame = outputs["raw_fx_rates"].value[DAY]
    assert frame.select("currency", "usd_per_unit", "_source_line").rows() == [("EUR", 1.1, 2)]


def test_raw_fx_rates_fails_on_a_bad_rate_naming_file_and_line(tmp_path):
    context = _fx_context(tmp_path, "currency,usd_per_unit\nEUR,1.1\nGBP,-2\n")
    with pytest.raises(dg.Failure, match=r"fx_rates/date=2024-01-01/rates.csv line 3: currency 'GBP'"):
        list(raw_fx_rates(context))
