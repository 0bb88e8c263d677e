"""Write-audit-publish in real runs: per-day staging and metadata, failures that publish nothing,
staging of a killed run swept and never read, and a reconciliation that catches a lossy parser."""

import json
import socket
import subprocess
import sys
import time

import polars as pl
import pytest

from pipeline_assets.warehouse import OWNER_FILE, STAGING
from pipeline_assets_tests import oracle

pytestmark = pytest.mark.integration

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]


def _staged_objects(pipeline) -> list[str]:
    return [f.key for f in pipeline.warehouse.list_files(STAGING)]


def test_a_range_run_records_each_days_own_metadata_and_leaves_no_staging(pipeline):
    pipeline.generate(DAYS[0], 3, rows_per_day=300)
    result = pipeline.run(DAYS[0], DAYS[-1])
    assert result.success
    materialised = {
        (e.asset_key.to_user_string(), e.partition): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    for asset in ("raw_events", "clean_events", "rejected_events", "daily_user_metrics", "rolling_revenue_7d"):
        for day in DAYS:
            metadata = materialised[(asset, day)]
            assert metadata["dagster/row_count"].value == pipeline.table(asset, day).height
            assert metadata["dagster/uri"].value.endswith(f"{asset}/date={day}/data.parquet")
            assert metadata["size_bytes"].value > 0
    counts = [materialised[("clean_events", day)]["landing_records"].value for day in DAYS]
    assert counts == [oracle.expected_day(pipeline.landing, day)["records"] for day in DAYS]
    assert _staged_objects(pipeline) == []


def test_a_failed_check_on_one_day_publishes_no_day_of_the_range(pipeline, monkeypatch):
    pipeline.generate(DAYS[0], 3, rows_per_day=200)
    from pipeline_assets.transforms import aggregates

    correct = aggregates.daily_event_summary

    def broken_on_the_last_day(clean: pl.LazyFrame) -> pl.LazyFrame:
        summary = correct(clean)
        return summary.with_columns(
            pl.when(pl.col("date") == pl.lit(DAYS[-1]).str.to_date())
            .then(-1.0)
            .otherwise("revenue_usd")
            .alias("revenue_usd")
        )

    monkeypatch.setattr(aggregates, "daily_event_summary", broken_on_the_last_day)
    result = pipeline.run(DAYS[0], DAYS[-1])
    assert not result.success
    failed = [(e.asset_key.to_user_string(), e.partition) for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed == [("daily_event_summary", DAYS[-1])]
    assert pipeline.files("daily_event_summary") == []  # not even the two days that passed
    assert _staged_objects(pipeline) == []


def test_staging_left_by_a_killed_run_is_removed_by_the_next_run_and_never_read(pipeline):
    pipeline.generate(DAYS[0], 1, rows_per_day=200)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed = f"{STAGING}/killed-run"
    bogus = pl.DataFrame({"event_id": ["bogus"]})
    for asset in ("raw_events", "clean_events", "rejected_events"):
        pipeline.warehouse.write_parquet(f"{killed}/{asset}/date={DAYS[0]}/data.parquet", bogus)
    owner = {"host": socket.gethostname(), "pid": dead.pid, "started": time.time()}
    pipeline.warehouse.write_bytes(f"{killed}/{OWNER_FILE}", json.dumps(owner).encode())

    assert pipeline.run(DAYS[0]).success

    assert _staged_objects(pipeline) == []
    expected = oracle.expected_day(pipeline.landing, DAYS[0])
    assert pipeline.table("clean_events", DAYS[0]).height == expected["clean"]
    assert "bogus" not in pipeline.table("clean_events", DAYS[0])["event_id"].to_list()


@pytest.mark.parametrize("pipeline", ["local"], indirect=True)
def test_a_parser_that_loses_a_record_fails_the_reconciliation_and_publishes_nothing(pipeline, monkeypatch):
    pipeline.generate(DAYS[0], 1, rows_per_day=200)
    from pipeline_assets.assets import raw
    from pipeline_assets.transforms.landing_file import ParsedFile

    parse = raw.parse_content

    def lossy(name: str, content: bytes) -> ParsedFile:
        """Drops a file's last good record and agrees with itself about it."""
        parsed = parse(name, content)
        return ParsedFile(parsed.records.head(-1), parsed.unparsable, parsed.record_count - 1)

    monkeypatch.setattr(raw, "parse_content", lossy)
    result = pipeline.run(DAYS[0])

    assert not result.success
    reconciliation = next(e for e in result.get_asset_check_evaluations() if e.check_name == "reconciliation")
    assert not reconciliation.passed
    counts = {k: v.value for k, v in reconciliation.metadata.items()}
    files = len(pipeline.landing.list_files(f"events/date={DAYS[0]}"))
    assert (
        counts["landing_records"]
        == counts["clean_rows"] + counts["rejected_rows"] + counts["duplicates_removed"] + files
    )
    assert pipeline.files("clean_events") == [] and pipeline.files("raw_events") == []
    assert _staged_objects(pipeline) == []
