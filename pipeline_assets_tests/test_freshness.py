"""Per-partition freshness: deadlines, verdicts, and the sensor's evaluations on a real instance."""

import json
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from pipeline_assets.freshness import (
    DAILY_ASSETS,
    FRESHNESS_CHECK,
    days_due,
    deadline,
    evaluations,
    freshness_hour,
    freshness_sensor,
    verdict,
)


def test_the_hour_comes_from_the_environment_and_a_bad_one_is_named():
    assert freshness_hour({}) == 6
    assert freshness_hour({"PIPELINE_FRESHNESS_HOUR_UTC": "9"}) == 9
    for bad in ("24", "-1", "nine", ""):
        with pytest.raises(ValueError, match="PIPELINE_FRESHNESS_HOUR_UTC"):
            freshness_hour({"PIPELINE_FRESHNESS_HOUR_UTC": bad})


def test_a_day_is_due_at_the_hour_of_the_next_day():
    assert deadline(date(2024, 3, 1), 6) == datetime(2024, 3, 2, 6, tzinfo=UTC)
    just_before, at = datetime(2024, 3, 2, 5, 59, tzinfo=UTC), datetime(2024, 3, 2, 6, tzinfo=UTC)
    assert days_due(just_before, 6, date(2024, 1, 1), 2) == [date(2024, 2, 28), date(2024, 2, 29)]
    assert days_due(at, 6, date(2024, 1, 1), 2) == [date(2024, 2, 29), date(2024, 3, 1)]
    assert days_due(at, 6, date(2024, 3, 1), 7) == [date(2024, 3, 1)]  # nothing before the first partition


def test_verdicts():
    day, hour = date(2024, 3, 1), 6
    due = deadline(day, hour)
    assert not verdict(day, None, due, hour).passed
    assert verdict(day, None, due - timedelta(seconds=1), hour).passed  # not due yet
    on_time = verdict(day, due - timedelta(hours=1), due + timedelta(hours=1), hour)
    late = verdict(day, due + timedelta(hours=1), due + timedelta(hours=2), hour)
    assert on_time.passed and on_time.metadata["late"] is False
    assert late.passed and late.metadata["late"] is True and "after its deadline" in late.description


def _evaluations(result: dg.SensorResult) -> dict[tuple[str, str], bool]:
    return {(e.asset_key.to_user_string(), e.partition): e.passed for e in result.asset_events}


def test_the_sensor_records_each_due_partition_once_fresh_or_overdue():
    today = datetime.now(UTC).date()
    # Two days certainly past their deadline whatever the hour now: three and four days ago.
    fresh_day, missing_day = (today - timedelta(days=3)).isoformat(), (today - timedelta(days=4)).isoformat()
    with dg.instance_for_test() as instance:
        for asset in DAILY_ASSETS:
            instance.report_runless_asset_event(dg.AssetMaterialization(asset, partition=fresh_day))

        first = freshness_sensor(dg.build_sensor_context(instance=instance))
        verdicts = _evaluations(first)
        assert all(e.check_name == FRESHNESS_CHECK for e in first.asset_events)
        for asset in DAILY_ASSETS:
            assert verdicts[asset, fresh_day] is True
            assert verdicts[asset, missing_day] is False
        missing_description = next(e.description for e in first.asset_events if e.partition == missing_day)
        assert "overdue" in missing_description
        for event in first.asset_events:  # stored as the daemon stores them, one per check and day
            instance.report_runless_asset_event(event)

        # Each (asset, day) is recorded once: recording it again would break the instance's
        # one-runless-evaluation-per-partition rule and fail the tick.
        instance.report_runless_asset_event(dg.AssetMaterialization("clean_events", partition=missing_day))
        second = freshness_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
        assert second.asset_events == []
        assert missing_day in json.loads(second.cursor)["clean_events"]


def test_each_day_is_judged_by_its_first_materialisation_in_one_query_for_all():
    days = ["2024-03-01", "2024-03-02", "2024-03-03"]
    now = datetime(2024, 3, 10, tzinfo=UTC)
    with dg.instance_for_test() as instance:
        for day in (days[0], days[2], days[0]):  # 03-01 again, later: its first one counts
            instance.report_runless_asset_event(dg.AssetMaterialization("clean_events", partition=day))
        instance.report_runless_asset_event(dg.AssetMaterialization("raw_events", partition=days[1]))
        first = instance.fetch_materializations(dg.AssetKey("clean_events"), limit=1, ascending=True).records[0]
        verdicts = {e.partition: e for e in evaluations(instance, "clean_events", days, now, hour=6)}
    assert [verdicts[d].passed for d in days] == [True, False, True]  # 03-02 has only raw_events
    assert verdicts[days[0]].metadata["first_materialized"].value == pytest.approx(first.timestamp, abs=1e-5)
    assert all(e.metadata["late"].value for e in (verdicts[days[0]], verdicts[days[2]]))  # materialised now, in 2026
