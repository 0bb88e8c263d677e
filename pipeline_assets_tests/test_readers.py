"""The warehouse opens as one dataset per asset in the tools analysts use, with the project's rows.

A range run writes three generated days, a day whose landing file drifted in another way (a
``browser`` column) and a day whose file holds no record. Each reader then opens each table
asset's folder as a Hive-partitioned dataset and must give the rows and values the project's own
reads give, ``date`` included. pandas, pyarrow and Polars are also tried on S3, GCS and Azure;
DuckDB and Spark on local disk.
"""

import duckdb
import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from pipeline_assets.storage import Store
from pipeline_assets.transforms.raw_layer import EXTRA_COLUMNS
from pipeline_assets.warehouse import published_days, scan_partitions
from pipeline_assets_tests.conftest import STORES, make_pipeline, store_root

pytestmark = pytest.mark.integration

GENERATED = ["2024-01-01", "2024-01-02", "2024-01-03"]
OTHER_DRIFT, EMPTY = "2024-01-04", "2024-01-05"
DAYS = [*GENERATED, OTHER_DRIFT, EMPTY]
TABLES = ["raw_events", "raw_fx_rates", "clean_events", "rejected_events", "daily_user_metrics",
          "daily_event_summary", "rolling_revenue_7d"]  # fmt: skip
HEADER = "event_id,user_id,session_id,event_type,event_ts,amount,currency,country,device,metadata"


def write_landing(pipeline) -> None:
    pipeline.generate(GENERATED[0], len(GENERATED), rows_per_day=300)
    rows = [f"d{i},{i + 1},s{i},view,{OTHER_DRIFT}T10:00:0{i}Z,,,DE,web,,firefox" for i in range(5)]
    pipeline.landing.write_bytes(
        f"events/date={OTHER_DRIFT}/drift.csv", "\n".join([f"{HEADER},browser", *rows]).encode()
    )
    pipeline.landing.write_bytes(f"events/date={EMPTY}/empty.csv", f"{HEADER}\n".encode())


@pytest.fixture(scope="module", params=STORES)
def warehouse(request, tmp_path_factory) -> Store:
    with (
        store_root(request, request.param, tmp_path_factory.mktemp("readers")) as root,
        make_pipeline(root) as pipeline,
    ):
        write_landing(pipeline)
        assert pipeline.run(DAYS[0], DAYS[-1]).success
        yield pipeline.warehouse


def project_rows(store: Store, asset: str) -> pl.DataFrame:
    """What the project itself reads: every published day, ``date`` from its prefix."""
    return pl.concat([scan.collect() for scan in scan_partitions(store, asset, published_days(store, asset)).values()])


def same_rows(got: pl.DataFrame, expected: pl.DataFrame) -> None:
    """``got`` as a reader typed it, brought to the project's types, equals ``expected`` row for row.

    Readers type the prefix's ``date`` their own way (pandas: categories of text) and some widen
    unsigned counts (Spark: bigint) or drop a timestamp's zone: values must still be the same."""
    got = got.with_columns(pl.col("date").cast(pl.String).str.to_date())
    naive = [name for name, dtype in got.schema.items() if isinstance(dtype, pl.Datetime) and dtype.time_zone is None]
    got = got.with_columns(pl.col(naive).dt.replace_time_zone("UTC")).select(expected.columns).cast(expected.schema)
    assert_frame_equal(got.sort(pl.all()), expected.sort(pl.all()))


def read_pandas(store: Store, asset: str) -> pl.DataFrame:
    options = None if store.is_local else store.options.fsspec
    return pl.from_pandas(pd.read_parquet(store.uri(asset), storage_options=options))


def read_pyarrow(store: Store, asset: str) -> pl.DataFrame:
    filesystem = None if store.is_local else store.fs
    return pl.from_arrow(
        ds.dataset(store.path(asset), filesystem=filesystem, format="parquet", partitioning="hive").to_table()
    )


def read_polars(store: Store, asset: str) -> pl.DataFrame:
    if store.is_local:
        return pl.read_parquet(store.uri(asset), hive_partitioning=True)
    extra = {"credential_provider": None} if store.options.explicit_credentials else {}
    return pl.read_parquet(
        f"{store.uri(asset)}/", hive_partitioning=True, storage_options=store.options.polars, **extra
    )


@pytest.mark.parametrize("reader", [read_pandas, read_pyarrow, read_polars])
@pytest.mark.parametrize("asset", TABLES)
def test_each_reader_opens_each_asset_as_one_dataset(warehouse, asset, reader):
    expected = project_rows(warehouse, asset)
    assert expected.height > 0 and set(expected["date"].cast(pl.String)) <= set(DAYS)
    same_rows(reader(warehouse, asset), expected)


# On disk only: DuckDB reaches object stores through extensions it downloads.
@pytest.mark.parametrize("warehouse", ["local"], indirect=True)
@pytest.mark.parametrize("asset", TABLES)
def test_duckdb_opens_each_asset(warehouse, asset):
    relation = duckdb.sql(
        f"SELECT * FROM read_parquet('{warehouse.path(asset)}/**/*.parquet', hive_partitioning = true)"
    )
    same_rows(pl.from_arrow(relation.to_arrow_table()), project_rows(warehouse, asset))


@pytest.mark.parametrize("asset", TABLES)
def test_every_partition_has_the_same_schema_and_no_date_column(warehouse, asset):
    days = published_days(warehouse, asset)
    assert days == DAYS
    schemas = {
        day: pq.read_schema(
            warehouse.path(f"{asset}/date={day}/data.parquet"), filesystem=None if warehouse.is_local else warehouse.fs
        )
        for day in days
    }
    first = schemas[DAYS[0]]
    assert "date" not in first.names
    for day, schema in schemas.items():
        assert schema.equals(first), f"{asset} {day}: {schema} differs from {DAYS[0]}: {first}"


def test_drift_is_kept_in_one_column_whatever_the_day(warehouse):
    raw = project_rows(warehouse, "raw_events")
    extras = raw.group_by("date").agg(pl.col(EXTRA_COLUMNS).drop_nulls().first()).sort("date")
    by_day = dict(zip(extras["date"].cast(pl.String), extras[EXTRA_COLUMNS], strict=True))
    assert by_day[GENERATED[0]].startswith('{"campaign":')
    assert by_day[OTHER_DRIFT] == '{"browser":"firefox"}'
    assert EMPTY not in by_day  # no record, yet a partition with the same schema (test above)


@pytest.mark.slow
def test_spark_opens_each_asset(tmp_path):
    pyspark = pytest.importorskip("pyspark.sql")
    with make_pipeline(str(tmp_path)) as pipeline:
        write_landing(pipeline)
        assert pipeline.run(DAYS[0], DAYS[-1]).success
        spark = (
            pyspark.SparkSession.builder.master("local[1]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        try:
            for asset in TABLES:
                frame = spark.read.parquet(pipeline.warehouse.path(asset))
                same_rows(pl.from_arrow(frame.toArrow()), project_rows(pipeline.warehouse, asset))
        finally:
            spark.stop()
