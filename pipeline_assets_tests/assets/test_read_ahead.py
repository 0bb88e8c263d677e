"""`read_landing_days`: each day's files in order, the next day's parsed while the day is used,
never more than a day ahead, within the read-ahead budget, and nothing left queued on a stop."""

from concurrent.futures import Future

import pytest

from pipeline_assets.assets import raw
from pipeline_assets.resources import LandingZone

DAYS = ("2024-01-01", "2024-01-02", "2024-01-03")
HEADER = "event_id,user_id,session_id,event_type,event_ts\n"


class _OnDemand(Future):
    """A parse that runs when its result is asked for, or never if cancelled first: which files
    were started, and when, does not depend on thread timing."""

    def __init__(self, call):
        super().__init__()
        self._call = call

    def result(self, timeout=None):
        if self.set_running_or_notify_cancel():
            self.set_result(self._call())
        return super().result(timeout)


class _RecordingReaders:
    def __init__(self):
        self.started: list[str] = []
        self.futures: dict[str, _OnDemand] = {}

    def submit(self, read, landing, file):
        self.started.append(file.key)
        future = self.futures[file.key] = _OnDemand(lambda: read(landing, file))
        return future


@pytest.fixture
def readers(monkeypatch) -> _RecordingReaders:
    recording = _RecordingReaders()
    monkeypatch.setattr(raw, "_READERS", recording)
    return recording


@pytest.fixture
def landing(tmp_path) -> tuple[LandingZone, dict]:
    """Three days of two CSV files each, listed in reverse name order."""
    for day in DAYS:
        folder = tmp_path / "events" / f"date={day}"
        folder.mkdir(parents=True)
        for part in ("b", "a"):
            rows = "".join(f"{day}-{part}{n},1,s,view,{day}T00:00:0{n}Z\n" for n in range(3))
            (folder / f"{part}.csv").write_text(HEADER + rows)
    zone = LandingZone(landing_url=str(tmp_path))
    return zone, {day: zone.event_files(day)[::-1] for day in DAYS}


def _day_of(key: str) -> str:
    return key.split("date=")[1][:10]


def test_each_day_gets_its_files_in_name_order_and_the_next_day_is_read_meanwhile(readers, landing):
    zone, files_by_day = landing
    seen = {}
    for index, (day, reads) in enumerate(raw.read_landing_days(zone, files_by_day)):
        seen[day] = []
        for file, parsed, counted in reads:
            seen[day].append((file.key.rsplit("/", 1)[1], parsed.records.height, counted))
            started_days = {_day_of(key) for key in readers.started}
            assert started_days <= set(DAYS[: index + 2]), "never more than one day ahead"
        if index + 1 < len(DAYS):  # the day's last file was handed over with the next day's started
            assert {_day_of(key) for key in readers.started} == set(DAYS[: index + 2])
    assert seen == {day: [("a.csv", 3, 3), ("b.csv", 3, 3)] for day in DAYS}


def test_the_next_day_waits_while_it_and_the_held_file_exceed_the_budget(readers, landing, monkeypatch):
    zone, files_by_day = landing
    size = files_by_day[DAYS[0]][0].size
    monkeypatch.setattr(raw, "READ_AHEAD_BYTES", 2 * size)  # two files' worth: the held one and one more
    days = raw.read_landing_days(zone, files_by_day)
    _, reads = next(days)
    next(reads), next(reads)  # the day's last file, held by the caller
    assert [_day_of(key) for key in readers.started] == [DAYS[0], DAYS[0], DAYS[1]]
    monkeypatch.setattr(raw, "READ_AHEAD_BYTES", size)  # the held file alone fills it
    _, reads = next(days)
    next(reads), next(reads)
    assert [_day_of(key) for key in readers.started][3:] == [DAYS[1]], "nothing of the third day yet"
    _, reads = next(days)
    assert len(list(reads)) == 2, "a day's first file is read whatever its size when nothing else is held"


def test_a_caller_that_stops_leaves_no_file_queued(readers, landing):
    zone, files_by_day = landing
    days = raw.read_landing_days(zone, files_by_day)
    _, reads = next(days)
    list(reads)
    ahead = [readers.futures[key] for key in readers.started if _day_of(key) == DAYS[1]]
    assert ahead and not any(future.done() for future in ahead)
    days.close()  # as when the step fails on the first day and drops the generator
    assert all(future.cancelled() for future in ahead)
