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
