"""The landing sensor: late files, re-uploads, no double trigger, bounded ticks."""

import json
import os

import dagster as dg

from pipeline_assets.resources import LandingZone
from pipeline_assets.sensors import landing_sensor, plan_landing_runs
from pipeline_assets.storage import StoredFile

DAYS = {"2024-01-01", "2024-01-02", "2024-01-03"}


def _file(key: str, version: str = "v1") -> StoredFile:
    return StoredFile(key=key, size=1, version=version)


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


def test_days_outside_the_partitions_and_deleted_files_are_dropped():
    files = [_file("events/date=2023-12-31/a.csv"), _file("events/date=2024-01-01/a.csv")]
    plan = plan_landing_runs(files, {"events/date=2024-01-01/gone.csv": "v1"}, DAYS)
    assert [d for d, _ in plan.days] == ["2024-01-01"]
    assert list(plan.cursor) == ["events/date=2024-01-01/a.csv"]


def test_sensor_on_a_real_landing_directory(tmp_path):
    day_dir = tmp_path / "events" / "date=2024-01-01"
    day_dir.mkdir(parents=True)
    (day_dir / "a.csv").write_text("event_id\n1\n")
    landing = LandingZone(landing_url=str(tmp_path))

    with dg.instance_for_test() as instance:
        first = landing_sensor(dg.build_sensor_context(instance=instance, resources={"landing": landing}))
        assert [r.partition_key for r in first.run_requests] == ["2024-01-01"]

        context = dg.build_sensor_context(instance=instance, cursor=first.cursor, resources={"landing": landing})
        assert landing_sensor(context).run_requests == []

        (day_dir / "a.csv").write_text("event_id\n1\n2\n")  # re-upload, same name
        stat = os.stat(day_dir / "a.csv")
        os.utime(day_dir / "a.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        context = dg.build_sensor_context(instance=instance, cursor=first.cursor, resources={"landing": landing})
        rerun = landing_sensor(context)
        assert [r.partition_key for r in rerun.run_requests] == ["2024-01-01"]
        assert rerun.run_requests[0].run_key != first.run_requests[0].run_key
        assert set(json.loads(rerun.cursor)) == {"events/date=2024-01-01/a.csv"}
