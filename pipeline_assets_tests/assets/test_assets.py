"""Assets invoked directly with build_asset_context: their checks, outputs and failures."""

from datetime import UTC, date, datetime

import dagster as dg
import polars as pl
import pytest

from pipeline_assets.assets.aggregated import daily_event_summary, daily_user_metrics, rolling_revenue_7d
from pipeline_assets.assets.raw import raw_fx_rates
from pipeline_assets.io_manager import ParquetWarehouseIOManager
from pipeline_assets.partitions import daily_partitions
from pipeline_assets.resources import LandingZone, Warehouse
from pipeline_assets.warehouse import partition_file, scan_partitions

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


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(warehouse_url=str(tmp_path / "warehouse"))


def _materialise(asset, warehouse: Warehouse, landing: LandingZone | None = None, **upstream: pl.LazyFrame):
    """Materialise ``asset`` for DAY in a real run, its upstream days published from ``upstream``."""
    for name, frame in upstream.items():
        # Published as the project publishes: the partition column only in the prefix.
        warehouse.store.write_parquet(partition_file(name, DAY), frame.collect().drop("date"))
    resources = {
        "io_manager": ParquetWarehouseIOManager(warehouse_url=warehouse.warehouse_url),
        "warehouse": warehouse,
        "landing": landing or LandingZone(landing_url=warehouse.warehouse_url),
    }
    specs = [dg.AssetSpec(name, partitions_def=daily_partitions) for name in upstream]
    return dg.materialize(
        [asset, *specs], partition_key=DAY, resources=resources, raise_on_error=False, selection=[asset]
    )


def _published(warehouse: Warehouse, asset: str) -> pl.DataFrame:
    return scan_partitions(warehouse.store, asset, [DAY])[DAY].collect()


def _checks(result: dg.ExecuteInProcessResult) -> list[tuple[str, bool]]:
    return [(e.check_name, e.passed) for e in result.get_asset_check_evaluations()]


def test_daily_user_metrics_checks_then_outputs_the_day(warehouse):
    clean = _clean([(1, "a", "view", None), (1, "b", "purchase", 10.0), (2, "c", "click", None)])
    result = _materialise(daily_user_metrics, warehouse, clean_events=clean)
    assert result.success and _checks(result) == [("schema", True)]
    frame = _published(warehouse, "daily_user_metrics")
    assert frame.select("user_id", "events", "sessions", "purchases", "revenue_usd").rows() == [
        (1, 2, 2, 1, 10.0),
        (2, 1, 1, 0, 0.0),
    ]


def test_daily_event_summary_has_one_row_per_type_present(warehouse):
    clean = _clean([(1, "a", "view", None), (2, "a", "view", None), (2, "b", "purchase", 4.5)])
    assert _materialise(daily_event_summary, warehouse, clean_events=clean).success
    assert _published(warehouse, "daily_event_summary").select(
        "event_type", "events", "users", "revenue_usd"
    ).rows() == [
        ("purchase", 1, 1, 4.5),
        ("view", 2, 2, 0.0),
    ]


def test_rolling_revenue_counts_days_before_the_start_as_empty(warehouse):
    metrics = pl.LazyFrame(
        {"date": [date(2024, 1, 1)], "user_id": [7], "revenue_usd": [12.5]},
    )
    # The warehouse holds nothing published: no earlier day is needed.
    result = _materialise(rolling_revenue_7d, warehouse, daily_user_metrics=metrics)
    row = _published(warehouse, "rolling_revenue_7d").row(0, named=True)
    assert (row["revenue_usd_7d"], row["active_users_7d"], row["days_in_window"]) == (12.5, 1, 1)
    assert _checks(result) == [("schema", True)]


def test_a_failing_schema_check_publishes_nothing_and_leaves_no_staging(monkeypatch, warehouse):
    from pipeline_assets.transforms import aggregates

    monkeypatch.setattr(aggregates, "daily_user_metrics", lambda clean: clean.select(pl.lit(1).alias("oops")))
    result = _materialise(daily_user_metrics, warehouse, clean_events=_clean([(1, "a", "view", None)]))
    assert not result.success and _checks(result) == [("schema", False)]
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "daily_user_metrics schema on 2024-01-01" in failure.step_failure_data.error.message
    assert not warehouse.store.exists(partition_file("daily_user_metrics", DAY))
    assert warehouse.store.list_files("_staging", suffixes=(".parquet",)) == []


def _fx_landing(tmp_path, rates_csv: str) -> LandingZone:
    """A landing zone with one event file and the given rates file for DAY."""
    landing = tmp_path / "landing"
    for dataset, name, text in (("events", "a.csv", "event_id\n1\n"), ("fx_rates", "rates.csv", rates_csv)):
        (landing / dataset / f"date={DAY}").mkdir(parents=True)
        (landing / dataset / f"date={DAY}" / name).write_text(text)
    return LandingZone(landing_url=str(landing))


def test_raw_fx_rates_types_the_landed_rates(tmp_path, warehouse):
    assert _materialise(
        raw_fx_rates, warehouse, _fx_landing(tmp_path, "usd_per_unit,currency\r\n1.10, eur\r\n")
    ).success
    frame = _published(warehouse, "raw_fx_rates")
    assert frame.select("currency", "usd_per_unit", "_source_line").rows() == [("EUR", 1.1, 2)]


def test_raw_fx_rates_fails_on_a_bad_rate_naming_file_and_line(tmp_path, warehouse):
    result = _materialise(raw_fx_rates, warehouse, _fx_landing(tmp_path, "currency,usd_per_unit\nEUR,1.1\nGBP,-2\n"))
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "fx_rates/date=2024-01-01/rates.csv line 3: currency 'GBP'" in failure.step_failure_data.error.message
    assert not warehouse.store.exists(partition_file("raw_fx_rates", DAY))
