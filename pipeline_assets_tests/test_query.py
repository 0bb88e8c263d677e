"""``pipeline-assets query``: SQL over the warehouse on every store, reading only the days it needs."""

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipeline_assets.cli import main
from pipeline_assets.query import QueryError, run_query
from pipeline_assets.warehouse import partition_file, scan_partitions
from pipeline_assets_tests.conftest import STORES, make_pipeline, store_root

pytestmark = pytest.mark.integration

DAYS = [f"2024-01-{day:02d}" for day in range(1, 10)]  # nine days: --days 7 leaves two out
LAST_WEEK = DAYS[2:]
REVENUE_BY_COUNTRY = (
    "SELECT country, sum(amount_usd) AS revenue_usd FROM clean_events "
    "WHERE event_type = 'purchase' GROUP BY country ORDER BY country"
)


@pytest.fixture(scope="module", params=STORES)
def pipeline(request, tmp_path_factory):
    with store_root(request, request.param, tmp_path_factory.mktemp("query")) as root, make_pipeline(root) as pipeline:
        pipeline.generate(DAYS[0], len(DAYS), rows_per_day=200)
        assert pipeline.run(DAYS[0], DAYS[-1]).success
        with pytest.MonkeyPatch.context() as patch:  # what the CLI reads its warehouse from
            patch.setenv("PIPELINE_WAREHOUSE_URL", pipeline.settings.warehouse_url)
            yield pipeline


def expected_revenue_by_country(pipeline, days: list[str]) -> pl.DataFrame:
    clean = pl.concat([scan.collect() for scan in scan_partitions(pipeline.warehouse, "clean_events", days).values()])
    return (
        clean.filter(pl.col("event_type") == "purchase")
        .group_by("country")
        .agg(pl.col("amount_usd").sum().alias("revenue_usd"))
        .sort("country", nulls_last=True)  # as SQL orders them
    )


def test_revenue_by_country_over_the_last_seven_days(pipeline):
    result = run_query(pipeline.warehouse, REVENUE_BY_COUNTRY, days=7)
    assert (result.window.first, result.window.last) == (date(2024, 1, 3), date(2024, 1, 9))
    assert_frame_equal(result.frame, expected_revenue_by_country(pipeline, LAST_WEEK), check_exact=False)
    everything = run_query(pipeline.warehouse, REVENUE_BY_COUNTRY).frame
    assert_frame_equal(everything, expected_revenue_by_country(pipeline, DAYS), check_exact=False)


def test_every_table_asset_is_a_table_with_its_date(pipeline):
    sql = " UNION ALL ".join(
        f"SELECT '{table}' AS asset, min(date) AS first, max(date) AS last FROM {table}"
        for table in (
            "raw_events",
            "raw_fx_rates",
            "clean_events",
            "rejected_events",
            "daily_user_metrics",
            "daily_event_summary",
            "rolling_revenue_7d",
        )  # fmt: skip
    )
    frame = run_query(pipeline.warehouse, sql).frame
    assert frame.height == 7
    assert frame["first"].to_list() == [date(2024, 1, 1)] * 7 and frame["last"].to_list() == [date(2024, 1, 9)] * 7


def test_only_the_partitions_a_date_filter_keeps_are_read(pipeline):
    """A partition outside the window is made unreadable: queries that filter it out still answer."""
    store, key = pipeline.warehouse, partition_file("clean_events", DAYS[0])
    intact = store.read_bytes(key)
    store.write_bytes(key, b"this is not parquet")
    try:
        windowed = run_query(store, REVENUE_BY_COUNTRY, days=7).frame
        assert_frame_equal(windowed, expected_revenue_by_country(pipeline, LAST_WEEK), check_exact=False)
        filtered = run_query(store, "SELECT count(*) AS n FROM clean_events WHERE date >= '2024-01-02'").frame
        assert filtered["n"].item() > 0
        with pytest.raises(QueryError):  # the same query over every day does read it
            run_query(store, REVENUE_BY_COUNTRY)
    finally:
        store.write_bytes(key, intact)


def test_the_command_prints_a_table_or_writes_csv_and_parquet(pipeline, capsys, tmp_path):
    assert main(["query", REVENUE_BY_COUNTRY, "--days", "7"]) == 0
    printed = capsys.readouterr()
    assert "revenue_usd" in printed.out and "rows" in printed.out
    assert "days 2024-01-03 to 2024-01-09" in printed.err
    expected = expected_revenue_by_country(pipeline, LAST_WEEK)
    for out, read in ((tmp_path / "r.csv", pl.read_csv), (tmp_path / "r.parquet", pl.read_parquet)):
        assert main(["query", REVENUE_BY_COUNTRY, "--days", "7", "--out", str(out)]) == 0
        assert_frame_equal(read(out), expected, check_exact=False)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["SELECT * FROM nope"], "the warehouse's tables: clean_events, daily_event_summary"),
        (["SELECT nope FROM clean_events"], "nope"),
        (["SELECT 1", "--days", "0"], "--days must be at least 1"),
        (["SELECT 1", "--until", "2024-01-05"], "give --days too"),
        (["SELECT 1 AS x", "--out", "result.xlsx"], "--out must end with .csv or .parquet"),
    ],
)
def test_a_bad_query_is_refused_with_the_reason(pipeline, capsys, arguments, message):
    assert main(["query", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_an_empty_warehouse_says_so(tmp_path, monkeypatch, capsys):
    with make_pipeline(str(tmp_path)) as empty:
        monkeypatch.setenv("PIPELINE_WAREHOUSE_URL", empty.settings.warehouse_url)
        assert main(["query", "SELECT 1"]) == 2
    assert "no table has been published" in capsys.readouterr().err
