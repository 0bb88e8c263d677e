"""The landing sensor: late files, re-uploads, no double trigger, bounded ticks."""

import json
import time
from datetime import date, timedelta

import dagster as dg
import pytest

from pipeline_assets.resources import LandingZone
from pipeline_assets.sensors import WINDOW_ASSETS, landing_sensor, plan_landing_runs
from pipeline_assets.storage import StoredFile
from pipeline_assets_tests.conftest import STORES, store_root

DAYS = {"2024-01-01", "2024-01-02", "2024-01-03"}


def _file(key: str, version: str = "v1", modified: float = 0.0) -> StoredFile:
    return StoredFile(key=key, size=1, version=version, modified=modified)


def test_new_days_are_requested_once_oldest_first():
    files = [_file("events/date=2024-01-02/a.csv"), _file("events/date=2024-01-01/a.csv")]
    first = plan_landing_runs(files, {}, DAYS)
    assert [day for day, _ in first.days] == ["2024-01-01", "2024-01-02"]
    again = plan_landing_runs(files, first.cursor, DAYS)
    assert again.days == [] and again.cursor == first.cursor


def test_a_late_file_for_an_old_day_and_a_reupload_trigger_that_day_only():
    files = [_file("events/date=2024-01-01/a.csv"), _file("events/date=2024-01-02/a.csv")]
    cursor = plan_landing_runs(files, {}, DAYS).cursor
    late = plan_landing_runs([*files, _file("events/date=2024-01-01/late.jsonl")], cursor, DAYS)
    assert [day for day, _ in late.days] == ["2024-01-01"]
    reuploaded = plan_landing_runs([files[0], _file("events/date=2024-01-02/a.csv", "v2")], cursor, DAYS)
    assert [day for day, _ in reuploaded.days] == ["2024-01-02"]


def test_run_keys_differ_by_content_so_dagster_never_runs_one_state_twice():
    before = plan_landing_runs([_file("events/date=2024-01-01/a.csv")], {}, DAYS).days[0][1]
    after = plan_landing_runs([_file("events/date=2024-01-01/a.csv", "v2")], {}, DAYS).days[0][1]
    assert before != after and before == plan_landing_runs([_file("events/date=2024-01-01/a.csv")], {}, DAYS).days[0][1]


def test_fx_rates_alone_do_not_start_a_day_but_a_changed_rate_reruns_it():
    fx = _file("fx_rates/date=2024-01-01/rates.csv")
    assert plan_landing_runs([fx], {}, DAYS).days == []
    events = _file("events/date=2024-01-01/a.csv")
    cursor = plan_landing_runs([fx, events], {}, DAYS).cursor
    changed = plan_landing_runs([_file(fx.key, "v2"), events], cursor, DAYS)
    assert [day for day, _ in changed.days] == ["2024-01-01"]


def test_work_per_tick_is_bounded_and_the_rest_is_kept_for_later():
    files = [_file(f"events/date={day}/a.csv") for day in sorted(DAYS)]
    first = plan_landing_runs(files, {}, DAYS, max_days=2)
    assert [d for d, _ in first.days] == ["2024-01-01", "2024-01-02"] and first.deferred == 1
    second = plan_landing_runs(files, first.cursor, DAYS, max_days=2)
    assert [d for d, _ in second.days] == ["2024-01-03"] and second.deferred == 0


def test_files_under_no_partition_day_are_reported_once_and_never_run():
    files = [_file("events/date=2023-12-31/a.csv"), _file("events/date=2024-13-45/b.csv"), _file("events/c.csv")]
    plan = plan_landing_runs([*files, _file("events/date=2024-01-01/a.csv")], {}, DAYS)
    assert [d for d, _ in plan.days] == ["2024-01-01"]
    assert plan.not_a_day == sorted(f.key for f in files)
    again = plan_landing_runs([*files, _file("events/date=2024-01-01/a.csv")], plan.cursor, DAYS)
    assert again.days == [] and again.not_a_day == []
    more = plan_landing_runs([*files, _file("events/date=2024-02-30/d.csv", modified=5.0)], plan.cursor, DAYS)
    assert more.not_a_day == ["events/date=2024-02-30/d.csv"]


def test_a_deleted_file_requests_nothing():
    files = [
        _file("events/date=2024-01-01/a.csv", modified=1.0),
        _file("events/date=2024-01-01/gone.csv", modified=2.0),
    ]
    cursor = plan_landing_runs(files, {}, DAYS).cursor
    assert plan_landing_runs(files[:1], cursor, DAYS).days == []
    same_time = [_file("events/date=2024-01-01/a.csv"), _file("events/date=2024-01-01/gone.csv")]
    assert plan_landing_runs(same_time[:1], plan_landing_runs(same_time, {}, DAYS).cursor, DAYS).days == []


def test_a_file_added_within_the_stores_clock_tick_is_seen():
    first = [_file("events/date=2024-01-01/a.csv", modified=7.0)]
    cursor = plan_landing_runs(first, {}, DAYS).cursor
    second = plan_landing_runs([*first, _file("events/date=2024-01-01/b.csv", modified=7.0)], cursor, DAYS)
    assert [d for d, _ in second.days] == ["2024-01-01"]


@pytest.mark.parametrize("kind", STORES)
def test_sensor_on_a_real_landing_zone(request, tmp_path, kind):
    with store_root(request, kind, tmp_path) as root:
        landing = LandingZone(landing_url=f"{root}/landing")
        store = landing.store
        store.write_bytes("events/date=2024-01-01/a.csv", b"event_id\n1\n")

        with dg.instance_for_test() as instance:

            def tick(cursor=None):
                context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"landing": landing})
                return landing_sensor(context)

            first = tick()
            assert [r.partition_key for r in first.run_requests] == ["2024-01-01"]
            assert tick(first.cursor).run_requests == []  # nothing changed: no second run

            time.sleep(0.01)
            store.write_bytes("events/date=2024-01-01/a.csv", b"event_id\n2\n")  # re-upload, same size
            rerun = tick(first.cursor)
            assert [r.partition_key for r in rerun.run_requests] == ["2024-01-01"]
            assert rerun.run_requests[0].run_key != first.run_requests[0].run_key

            store.write_bytes("events/date=2023-12-31/late.csv", b"event_id\n3\n")  # before the start
            store.write_bytes("events/date=2024-01-02/late.jsonl", b'{"event_id": "4"}\n')  # a late day
            late = tick(rerun.cursor)
            assert [r.partition_key for r in late.run_requests] == ["2024-01-02"]
            assert set(json.loads(late.cursor)["days"]) == {"2024-01-01", "2024-01-02", "_not_a_day"}

            store.write_bytes("events/date=2024-01-01/later.csv", b"event_id\n5\n")  # late for a run day
            refreshed = tick(late.cursor)
            assert [(r.partition_key, r.asset_selection) for r in refreshed.run_requests] == [
                ("2024-01-01", None),
                ("2024-01-02", WINDOW_ASSETS),  # its window includes 2024-01-01
            ]


def test_a_late_file_refreshes_the_rolling_window_of_the_days_after_it():
    days = {f"2024-01-{n:02d}" for n in range(1, 11)}
    files = [_file(f"events/date={day}/a.csv") for day in sorted(days)]
    cursor = plan_landing_runs(files, {}, days, max_days=20).cursor
    late = plan_landing_runs([*files, _file("events/date=2024-01-02/late.csv")], cursor, days)
    assert [d for d, _ in late.days] == ["2024-01-02"]
    assert [d for d, _ in late.window_refreshes] == [f"2024-01-{n:02d}" for n in range(3, 9)]
    again = plan_landing_runs([*files, _file("events/date=2024-01-02/late.csv")], late.cursor, days)
    assert again.days == [] and again.window_refreshes == []


def test_a_first_load_needs_no_window_refresh():
    files = [_file(f"events/date={day}/a.csv") for day in sorted(DAYS)]
    assert plan_landing_runs(files, {}, DAYS).window_refreshes == []


def test_the_cursor_of_three_years_of_fifty_files_a_day_stays_under_100_kb():
    first = date(2023, 11, 23)
    days = {(first + timedelta(days=n)).isoformat() for n in range(3 * 365)}
    files = [
        _file(f"events/date={day}/part-{i:03d}.csv", f"etag-{day}-{i}", 1.7e9 + i) for day in days for i in range(50)
    ]
    plan = plan_landing_runs(files, {}, days, max_days=len(days))
    size = len(json.dumps(plan.cursor, sort_keys=True, separators=(",", ":")))
    assert len(plan.days) == len(days) and size < 100_000, size
    old_day = min(days)
    late = plan_landing_runs([*files, _file(f"events/date={old_day}/late.csv", "e", 1.8e9)], plan.cursor, days)
    reupload = plan_landing_runs([*files[1:], _file(files[0].key, "new-etag", 1.8e9)], plan.cursor, days)
    assert [d for d, _ in late.days] == [old_day] and [d for d, _ in reupload.days] == [files[0].key[12:22]]
