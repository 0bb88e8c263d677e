"""Partial runs stay consistent: the three tables of one landing read go together, and what a
republished day feeds downstream shows as stale until it is refreshed."""

import dagster as dg
import pytest
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest

from pipeline_assets_tests.conftest import make_pipeline

pytestmark = pytest.mark.integration

DAY = "2024-01-01"
ONE_READ = ["raw_events", "clean_events", "rejected_events"]


@pytest.fixture
def pipeline(tmp_path):
    with make_pipeline(str(tmp_path)) as pipeline:
        pipeline.generate(DAY, 1, rows_per_day=200)
        yield pipeline


def _materialise(pipeline, selection: list[str]) -> dg.ExecuteInProcessResult:
    job = pipeline.defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={dg.AssetKey(name) for name in selection}
    )
    return job.execute_in_process(instance=pipeline.instance, partition_key=DAY, raise_on_error=False)


@pytest.mark.parametrize("alone", ONE_READ)
def test_one_table_of_a_landing_read_cannot_be_materialised_without_the_others(pipeline, alone):
    assert _materialise(pipeline, ["raw_fx_rates"]).success  # the day's rates are there, as in the UI
    result = _materialise(pipeline, [alone])
    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    assert "come from one landing read and are published together" in failure.event_specific_data.error.message
    for table in ONE_READ:
        assert pipeline.files(table) == []


def test_downstream_of_a_republished_day_is_stale_until_refreshed(pipeline):
    """Dagster marks an asset stale when a parent has newer data: the tables fed by the landing
    read at once, and what they feed as soon as those are refreshed, until the day is run whole."""
    assert pipeline.run(DAY).success

    def status(*assets: str) -> set[StaleStatus]:
        resolver = CachingStaleStatusResolver(
            pipeline.instance, pipeline.defs.resolve_asset_graph(), LoadingContextForTest(pipeline.instance)
        )
        return {resolver.get_status(dg.AssetKey(asset), DAY) for asset in assets}

    fed_by_the_read, further = ["daily_user_metrics", "daily_event_summary"], ["rolling_revenue_7d", "daily_report"]
    assert status(*fed_by_the_read, *further) == {StaleStatus.FRESH}

    assert _materialise(pipeline, ["raw_fx_rates", *ONE_READ]).success  # the landing read again
    assert status(*fed_by_the_read) == {StaleStatus.STALE}

    assert _materialise(pipeline, fed_by_the_read).success
    assert status(*fed_by_the_read) == {StaleStatus.FRESH} and status(*further) == {StaleStatus.STALE}

    assert pipeline.run(DAY).success
    assert status(*fed_by_the_read, *further) == {StaleStatus.FRESH}
