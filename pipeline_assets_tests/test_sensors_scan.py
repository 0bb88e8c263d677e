"""The landing sensor's bounded scan: which days a tick lists, the rotation over older days, the
cursor's resume position and its earlier forms (small landing zones on local disk; at scale:
test_sensors_scale.py)."""

import json
import time
from datetime import date, timedelta

import dagster as dg
import pytest

from pipeline_assets.landing_scan import ScanLimits, next_resume, order_days, scan_landing
from pipeline_assets.resources import LandingZone
from pipeline_assets.sensors import WINDOW_ASSETS, LandingCursor, landing_sensor

DAYS = [(date(2024, 1, 1) + timedelta(days=n)).isoformat() for n in range(40)]


def test_new_days_come_first_then_the_newest_then_a_rotation_from_where_it_stopped():
    present = set(DAYS[:10])
    order = order_days(present, seen=set(DAYS[:8]), resume=DAYS[3], max_new=5, look_back=2)
    assert order.new == [DAYS[8], DAYS[9]] and order.recent == [DAYS[7], DAYS[6]]
    assert order.rotation == [*DAYS[4:8], *DAYS[:4]]  # after the resume position, then wrapped
    capped = order_days(present, seen=set(), resume="", max_new=3, look_back=2)
    assert capped.new == DAYS[:3] and capped.recent == capped.rotation == []


def test_a_store_slower_than_the_budget_still_moves_on(tmp_path):
    store = LandingZone(landing_url=str(tmp_path)).store
    for day in DAYS[:6]:
        store.write_bytes(f"events/date={day}/a.csv", b"event_id\n1\n")
    limits = ScanLimits(look_back_days=2, rotation_days=10, seconds=0)  # the budget is gone at once
    scan = scan_landing(store, set(DAYS), set(DAYS[:4]), DAYS[0], max_new=5, limits=limits)
    # One new day, the two newest seen, and one older day.
    assert scan.listed == {DAYS[4], DAYS[3], DAYS[2], DAYS[1]} and scan.rotated == [DAYS[1], DAYS[2], DAYS[3]]
    roomy = scan_landing(store, set(DAYS), set(DAYS[:4]), DAYS[0], 5, ScanLimits(2, 10, 60))
    assert roomy.listed == set(DAYS[:6]) and roomy.rotated == [DAYS[1], DAYS[2], DAYS[3], DAYS[0]]


def test_the_rotation_resumes_before_a_day_it_had_to_leave_for_later():
    assert next_resume([DAYS[5], DAYS[6], DAYS[7]], deferred=set(), resume=DAYS[4]) == DAYS[7]
    assert next_resume([DAYS[5], DAYS[6], DAYS[7]], deferred={DAYS[6]}, resume=DAYS[4]) == DAYS[5]
    assert next_resume([DAYS[5], DAYS[6]], deferred={DAYS[5]}, resume=DAYS[4]) == DAYS[4]
    assert next_resume([], deferred=set(), resume=DAYS[4]) == DAYS[4]


def test_earlier_cursors_are_read_or_start_afresh():
    marks = {"2024-01-01": [1.0, 1, "abc"], "_not_a_day": [2.0, 1, "def"]}
    assert LandingCursor.parse(json.dumps(marks)) == LandingCursor(marks, "")  # one entry per day
    assert LandingCursor.parse(json.dumps({"events/date=2024-01-01/a.csv": "etag"})) == LandingCursor({})  # per file
    assert LandingCursor.parse(None) == LandingCursor({})
    current = LandingCursor(marks, "2024-01-01")
    assert LandingCursor.parse(current.dump()) == current


def test_scan_limits_come_from_the_environment_and_bad_values_name_the_variable(monkeypatch):
    monkeypatch.setenv("PIPELINE_SENSOR_ROTATION_DAYS", "7")
    assert ScanLimits.from_env().rotation_days == 7
    monkeypatch.setenv("PIPELINE_SENSOR_SCAN_SECONDS", "soon")
    with pytest.raises(ValueError, match="PIPELINE_SENSOR_SCAN_SECONDS"):
        ScanLimits.from_env()


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as instance:  # one for all ticks: resources need one, and it is slow to make
        yield instance


class Ticker:
    """Sensor ticks over one landing zone, carrying the cursor, recording every request."""

    def __init__(self, landing: LandingZone, instance: dg.DagsterInstance):
        self.landing, self.instance = landing, instance
        self.cursor: str | None = None
        self.requests: list[tuple[str, object]] = []
        self.slowest = 0.0
        self.largest_cursor = 0

    def tick(self) -> list[tuple[str, object]]:
        context = dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources={"landing": self.landing}
        )
        started = time.monotonic()
        result = landing_sensor(context)
        self.slowest = max(self.slowest, time.monotonic() - started)
        self.cursor = result.cursor
        self.largest_cursor = max(self.largest_cursor, len(result.cursor))
        requested = [(r.partition_key, r.asset_selection) for r in result.run_requests]
        self.requests += requested
        return requested

    def until_quiet(self, limit: int) -> int:
        """Tick until a tick requests nothing; how many ticks requested something."""
        for busy in range(limit):
            if not self.tick():
                return busy
        raise AssertionError(f"still requesting runs after {limit} ticks")


def test_late_files_are_each_found_once_whatever_day_they_land_in(tmp_path, monkeypatch, instance):
    monkeypatch.setenv("PIPELINE_SENSOR_ROTATION_DAYS", "5")
    monkeypatch.setenv("PIPELINE_SENSOR_LOOK_BACK_DAYS", "2")
    landing = LandingZone(landing_url=str(tmp_path / "landing"))
    for day in DAYS:
        landing.store.write_bytes(f"events/date={day}/a.csv", b"event_id\n1\n")
    ticker = Ticker(landing, instance)
    ticker.until_quiet(limit=6)  # ten new days a tick
    assert sorted(day for day, selection in ticker.requests if selection is None) == DAYS

    ticker.requests.clear()
    # The worst place for a late file: the day the rotation visited last, so revisited last again.
    old, recent = LandingCursor.parse(ticker.cursor).resume, DAYS[-1]
    assert old in DAYS[:-2]
    time.sleep(0.01)
    landing.store.write_bytes(f"events/date={old}/a.csv", b"event_id\n2\n")  # re-upload to an old day
    landing.store.write_bytes(f"events/date={recent}/late.csv", b"event_id\n3\n")  # new file, recent day
    assert ticker.tick() == [(recent, None)]  # the newest days are listed on every tick
    rotation = -(-(len(DAYS) - 2) // 5)  # the older days, five a tick
    for _ in range(rotation):
        ticker.tick()
    for _ in range(rotation):  # a whole rotation more: nothing is found twice
        assert ticker.tick() == []
    following = DAYS.index(old) + 1
    window = [(day, WINDOW_ASSETS) for day in DAYS[following : following + 6]]
    assert ticker.requests == [(recent, None), (old, None), *window]
