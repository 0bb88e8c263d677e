"""Per-day leases: one holder at a time, dead holders taken over, retries welcome; and the
conditional create under them, raced on disk and on each object store."""

import json
import subprocess
import sys
import threading
import time

import pytest

from pipeline_assets import leases
from pipeline_assets.leases import LEASES, DayLeases, owner_record
from pipeline_assets.storage import Store
from pipeline_assets_tests.conftest import STORES, store_root


def _leases(store: Store, run_id: str, running: set[str], log: list[str] | None = None) -> DayLeases:
    return DayLeases(store, "events", run_id, lambda other: other in running, ([] if log is None else log).append)


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(leases, "POLL_SECONDS", (0.01, 0.05))


def test_a_second_run_waits_until_the_first_releases_the_day(tmp_path):
    store, running, log = Store(str(tmp_path)), {"a", "b"}, []
    first = _leases(store, "a", running)
    first.acquire(["2024-01-02", "2024-01-01"])
    second = _leases(store, "b", running, log)
    taken = threading.Event()
    waiter = threading.Thread(target=lambda: (second.acquire(["2024-01-01"]), taken.set()))
    waiter.start()
    time.sleep(0.3)
    assert not taken.is_set() and log == ["waiting for run a, which is working on date=2024-01-01"]
    first.release()
    waiter.join(timeout=5)
    assert taken.is_set()
    assert [f.key for f in store.list_files(LEASES)] == ["_leases/events/date=2024-01-01/0.json"]
    second.release()
    assert store.list_files(LEASES) == []


def test_the_lease_of_a_run_that_is_over_or_whose_process_died_is_taken_over(tmp_path):
    store = Store(str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.write_bytes(
        "_leases/events/date=2024-01-01/0.json", json.dumps({**owner_record("gone"), "pid": dead.pid}).encode()
    )
    store.write_bytes("_leases/events/date=2024-01-02/3.json", json.dumps(owner_record("finished")).encode())

    _leases(store, "c", {"c", "gone"}).acquire(["2024-01-01", "2024-01-02"])

    assert [f.key for f in store.list_files(LEASES)] == [
        "_leases/events/date=2024-01-01/1.json",
        "_leases/events/date=2024-01-02/4.json",
    ]


def test_a_retried_step_of_the_same_run_takes_its_own_lease_back(tmp_path):
    store = Store(str(tmp_path))
    _leases(store, "a", {"a"}).acquire(["2024-01-01"])
    _leases(store, "a", {"a"}).acquire(["2024-01-01"])  # the step's second attempt
    assert [f.key for f in store.list_files(LEASES)] == ["_leases/events/date=2024-01-01/1.json"]


@pytest.mark.parametrize("kind", STORES)
def test_racing_writers_of_one_lease_object_have_one_winner(request, tmp_path, kind):
    with store_root(request, kind, tmp_path) as root:
        store, wins = Store(root), []
        _race(store, wins)
    assert sorted(wins) == [False] * 7 + [True]


def _race(store: Store, wins: list[bool]) -> None:
    threads = [
        threading.Thread(target=lambda n=n: wins.append(store.create_exclusive("x/0.json", b"%d" % n)))
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
