"""The Parquet IO manager's input side: a window as one lazy scan or per day, missing days named."""

import dagster as dg
import polars as pl
import pytest
from dagster._core.types.dagster_type import resolve_dagster_type

from pipeline_assets.io_manager import ParquetWarehouseIOManager
from pipeline_assets.partitions import daily_partitions
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import MissingPartitionsError

WINDOW = dg.PartitionKeyRange("2024-01-01", "2024-01-03")


def _input_context(wants: type) -> dg.InputContext:
    return dg.build_input_context(
        asset_key="daily_user_metrics",
        asset_partition_key_range=WINDOW,
        asset_partitions_def=daily_partitions,
        dagster_type=resolve_dagster_type(wants),
    )


def _publish(tmp_path, days: list[str]) -> ParquetWarehouseIOManager:
    store = Store(str(tmp_path))
    for n, day in enumerate(days):
        store.write_parquet(f"daily_user_metrics/date={day}/data.parquet", pl.DataFrame({"day": [day], "n": [n]}))
    return ParquetWarehouseIOManager(warehouse_url=str(tmp_path))


def test_a_window_loads_as_one_lazy_scan(tmp_path):
    manager = _publish(tmp_path, ["2024-01-01", "2024-01-02", "2024-01-03"])
    loaded = manager.load_input(_input_context(pl.LazyFrame))
    assert isinstance(loaded, pl.LazyFrame)
    assert loaded.collect()["day"].to_list() == ["2024-01-01", "2024-01-02", "2024-01-03"]


def test_a_window_loads_per_day_when_the_input_asks_for_a_mapping(tmp_path):
    manager = _publish(tmp_path, ["2024-01-01", "2024-01-02", "2024-01-03"])
    loaded = manager.load_input(_input_context(dict))
    assert {day: frame.collect()["n"].item() for day, frame in loaded.items()} == {
        "2024-01-01": 0,
        "2024-01-02": 1,
        "2024-01-03": 2,
    }


def test_every_missing_day_is_named(tmp_path):
    manager = _publish(tmp_path, ["2024-01-02"])
    with pytest.raises(MissingPartitionsError, match="no published partition for 2024-01-01, 2024-01-03 under"):
        manager.load_input(_input_context(pl.LazyFrame))
