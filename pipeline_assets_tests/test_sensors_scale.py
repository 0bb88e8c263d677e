"""The landing sensor over three years of landing days of 50 files each (54,750 files), on local
disk and on S3: every tick under 10 s, a cursor of bounded size, a late file in an old day and one
in a recent day each found once, and nothing found twice.

Writing 54,750 objects through an S3 server takes minutes, so the S3 landing zone is seeded
straight into moto's in-process backend, served by a moto server in this process (which shares
that backend) on a free port of 127.0.0.1. moto lists a prefix by scanning the whole bucket
(about 0.4 s a listing here), so on S3 each tick lists few days and the time budget is what bounds it.
"""

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from pipeline_assets import sensors
from pipeline_assets.resources import LandingZone
from pipeline_assets.sensors import WINDOW_ASSETS, LandingCursor, plan_landing_runs
from pipeline_assets.storage import StoredFile
from pipeline_assets_tests.cloud_servers import S3_ACCESS_KEY_ID, S3_REGION, S3_SECRET_ACCESS_KEY, free_port
from pipeline_assets_tests.test_sensors_scan import Ticker

pytestmark = pytest.mark.integration

FILES_PER_DAY = 50
TICK_SECONDS = 10.0
CURSOR_BYTES = 100_000  # one entry of about 50 bytes per day, and the rotation's position
TODAY = datetime.now(UTC).date()
DAYS = [(TODAY - timedelta(days=n)).isoformat() for n in range(3 * 365, 0, -1)]  # three years to yesterday
EVENT_ROW = b"event_id\n1\n"


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture(autouse=True)
def three_years_of_partitions(monkeypatch):
    """Partition days from three years back, as with PIPELINE_START_DATE set so (read at import)."""
    partitions = dg.DailyPartitionsDefinition(start_date=DAYS[0], timezone="UTC")
    monkeypatch.setattr(sensors, "daily_partitions", partitions)


def _keys() -> Iterator[str]:
    for day in DAYS:
        for n in range(FILES_PER_DAY):
            yield f"events/date={day}/part-{n:03d}.csv"


def _local_landing(tmp_path) -> tuple[LandingZone, list[StoredFile]]:
    landing = LandingZone(landing_url=str(tmp_path / "landing"))
    for day in DAYS:
        (tmp_path / "landing" / "events" / f"date={day}").mkdir(parents=True)
    for key in _keys():
        (tmp_path / "landing" / key).write_bytes(EVENT_ROW)
    return landing, landing.store.list_files("events")


def _s3_landing(monkeypatch) -> Iterator[tuple[LandingZone, list[StoredFile]]]:
    from moto.backends import get_backend
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        for name, value in {
            "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": S3_SECRET_ACCESS_KEY,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_REGION": S3_REGION,
            "AWS_DEFAULT_REGION": S3_REGION, "AWS_EC2_METADATA_DISABLED": "true",
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        backend = get_backend("s3")["123456789012"]["global"]  # moto's account for any unknown key
        bucket = f"scale-{port}"
        backend.create_bucket(bucket, S3_REGION)
        files = []
        for key in _keys():
            stored = backend.put_object(bucket, f"landing/{key}", EVENT_ROW)
            # As S3's listing reports them: the ETag, and the last write to the second.
            modified = stored.last_modified.replace(microsecond=0, tzinfo=UTC).timestamp()
            files.append(StoredFile(key, len(EVENT_ROW), stored.etag.strip('"'), modified))
        zone = LandingZone(landing_url=f"s3://{bucket}/landing")
        # The client is made once per process and kept (storage._filesystem), as a code server
        # keeps it between ticks: its making (1-3 s of botocore set-up here) is not a tick's cost.
        zone.store.exists("events")
        yield zone, files
    finally:
        server.stop()


@pytest.fixture(params=["local", "s3"])
def landing(request, tmp_path, monkeypatch) -> Iterator[tuple[LandingZone, list[StoredFile]]]:
    """Three years of landing days, and every file in it as a listing of it would show."""
    if request.param == "local":
        yield _local_landing(tmp_path)
    else:
        yield from _s3_landing(monkeypatch)


def _settled(files: list[StoredFile]) -> str:
    """The cursor of a sensor that has requested every day of ``files`` (reaching it by ticks
    would take 110 of them, ten days each)."""
    marks = plan_landing_runs(files, {}, set(DAYS), max_days=len(DAYS)).cursor
    return LandingCursor(marks).dump()


def test_three_years_of_landing_days_keep_ticks_and_cursor_bounded(landing, instance):
    zone, files = landing
    first = Ticker(zone, instance)
    requested = [day for day, _ in first.tick()]
    assert 0 < len(requested) <= sensors.MAX_DAYS_PER_TICK and requested == DAYS[: len(requested)]  # oldest first
    assert first.slowest < TICK_SECONDS, f"a first tick took {first.slowest:.1f} s"

    ticker = Ticker(zone, instance)
    ticker.cursor = _settled(files)
    assert ticker.tick() == []  # every day already run: nothing requested
    old, recent = DAYS[len(DAYS) // 2], DAYS[-1]
    resume = DAYS.index(old) - 2  # the rotation reaches the old day within a few ticks on any store
    ticker.cursor = LandingCursor(LandingCursor.parse(ticker.cursor).days, DAYS[resume]).dump()
    time.sleep(1.1)  # S3 dates objects to the second: the re-upload is newer than the seeded files
    zone.store.write_bytes(f"events/date={old}/part-007.csv", b"event_id\n2\n")  # a re-upload
    zone.store.write_bytes(f"events/date={recent}/late.csv", b"event_id\n3\n")  # a new file, recent day
    assert (recent, None) in ticker.tick()  # the newest days are listed on every tick
    for _ in range(5):
        ticker.tick()
    following = [(day, WINDOW_ASSETS) for day in DAYS[DAYS.index(old) + 1 : DAYS.index(old) + 7]]
    assert sorted(ticker.requests) == sorted([(recent, None), (old, None), *following])  # each once
    assert ticker.slowest < TICK_SECONDS, f"a tick took {ticker.slowest:.1f} s"
    assert ticker.largest_cursor < CURSOR_BYTES, f"the cursor grew to {ticker.largest_cursor} bytes"
