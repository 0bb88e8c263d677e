"""The warehouse layout and the staging area: the partition column, who may remove whose staging
(no Dagster run needed)."""

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import date

import polars as pl
import pytest

from pipeline_assets.leases import ABANDONED_AFTER_SECONDS
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import (
    OWNER_FILE,
    STAGING,
    RunStaging,
    asset_scan,
    partition_file,
    published_days,
    scan_partitions,
    sweep,
)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _stage(store: Store, run_id: str, owner: dict | None) -> None:
    store.write_parquet(f"{STAGING}/{run_id}/clean_events/date=2024-01-01/data.parquet", pl.DataFrame({"x": [1]}))
    if owner is not None:
        store.write_bytes(f"{STAGING}/{run_id}/{OWNER_FILE}", json.dumps(owner).encode())


def test_sweep_removes_staging_of_runs_that_are_over_or_whose_owner_is_gone(tmp_path):
    store = Store(str(tmp_path))
    here, now = socket.gethostname(), time.time()
    _stage(store, "finished", {"host": here, "pid": 1, "started": now})
    _stage(store, "live", {"host": here, "pid": os.getpid(), "started": now})
    _stage(store, "killed", {"host": here, "pid": _dead_pid(), "started": now})
    _stage(store, "stale-elsewhere", {"host": "other-pod", "pid": 1, "started": now - ABANDONED_AFTER_SECONDS - 1})
    _stage(store, "fresh-elsewhere", {"host": "other-pod", "pid": 1, "started": now})
    _stage(store, "mine", {"host": here, "pid": 1, "started": now})
    in_progress = {"live", "killed", "stale-elsewhere", "fresh-elsewhere", "mine"}

    removed = sweep(store, "mine", lambda run_id: run_id in in_progress)

    assert sorted(removed) == ["finished", "killed", "stale-elsewhere"]
    assert store.list_children(STAGING) == ["fresh-elsewhere", "live", "mine"]


def test_publishing_moves_each_staged_day_into_place_and_leaves_no_staging(tmp_path):
    store = Store(str(tmp_path))
    staging = RunStaging(store, "run-1")
    staging.claim()
    frames = {"2024-01-01": pl.DataFrame({"x": [1]}), "2024-01-02": pl.DataFrame({"x": [2, 3]})}
    staged = tuple(staging.stage("daily_user_metrics", day, frame) for day, frame in frames.items())
    store.write_parquet("daily_user_metrics/date=2024-01-02/part-old.parquet", pl.DataFrame({"x": [9]}))

    staging.publish("daily_user_metrics", staged)

    assert [f.key for f in store.list_files("daily_user_metrics")] == [
        "daily_user_metrics/date=2024-01-01/data.parquet",
        "daily_user_metrics/date=2024-01-02/data.parquet",
    ]
    assert pl.read_parquet(store.path("daily_user_metrics/date=2024-01-02/data.parquet"))["x"].to_list() == [2, 3]
    assert not (tmp_path / STAGING).exists()


def _day(day: str, *values: int) -> pl.DataFrame:
    return pl.DataFrame(
        {"date": [date.fromisoformat(day)] * len(values), "x": list(values)}, schema={"date": pl.Date, "x": pl.Int64}
    )


def test_the_partition_column_lives_in_the_prefix_and_reads_come_back_with_it(tmp_path):
    store = Store(str(tmp_path))
    staging = RunStaging(store, "run-1")
    staged = staging.stage("t", "2024-01-02", _day("2024-01-02", 1, 2))

    assert pl.read_parquet(store.path(staged.staged_key)).columns == ["x"]
    assert staging.scan(staged).collect().equals(_day("2024-01-02", 1, 2))
    staging.publish("t", [staged])
    assert scan_partitions(store, "t", ["2024-01-02"])["2024-01-02"].collect().equals(_day("2024-01-02", 1, 2))


def test_an_empty_day_keeps_the_schema(tmp_path):
    store = Store(str(tmp_path))
    staged = RunStaging(store, "run-1").stage("t", "2024-01-02", _day("2024-01-02"))
    assert pl.read_parquet_schema(store.path(staged.staged_key)) == {"x": pl.Int64}


def test_rows_of_another_day_are_never_filed_under_a_partition(tmp_path):
    store = Store(str(tmp_path))
    frame = pl.concat([_day("2024-01-02", 1), _day("2024-01-03", 2)])
    with pytest.raises(ValueError, match=r"rows for \['2024-01-02', '2024-01-03'\] cannot be filed under 2024-01-02"):
        RunStaging(store, "run-1").stage("t", "2024-01-02", frame)
    assert store.list_files("") == []


def test_a_file_of_the_earlier_layout_still_reads_with_its_prefix_date(tmp_path):
    store = Store(str(tmp_path))
    store.write_parquet(partition_file("t", "2024-01-02"), _day("2024-01-02", 5))  # date inside the file too
    assert scan_partitions(store, "t", ["2024-01-02"])["2024-01-02"].collect().equals(_day("2024-01-02", 5))


def test_an_asset_scan_reads_only_the_partitions_a_date_filter_keeps(tmp_path):
    store = Store(str(tmp_path))
    store.write_bytes(partition_file("t", "2024-01-01"), b"not parquet")  # would fail any read of it
    for day, value in (("2024-01-02", 2), ("2024-01-03", 3)):
        store.write_parquet(partition_file("t", day), pl.DataFrame({"x": [value]}))

    kept = asset_scan(store, "t").filter(pl.col("date") >= date(2024, 1, 2)).collect()

    assert kept.equals(pl.concat([_day("2024-01-02", 2), _day("2024-01-03", 3)]))
    store.write_bytes("t/date=not-a-day/x.parquet", b"")
    store.write_bytes("t/2024-01-04/x.parquet", b"")
    assert published_days(store, "t") == ["2024-01-01", "2024-01-02", "2024-01-03"]
    with pytest.raises(pl.exceptions.PolarsError):
        asset_scan(store, "t").collect()


@pytest.mark.parametrize("key", ["../../etc", "2024-01-01/../../x", "2024-1-1", "2024-02-30", "", "2024-01-01 "])
def test_a_partition_key_that_is_not_a_day_steers_no_path(tmp_path, key):
    store = Store(str(tmp_path))
    with pytest.raises(ValueError, match="is not a day as YYYY-MM-DD"):
        RunStaging(store, "run-1").stage("t", key, pl.DataFrame({"x": [1]}))
    with pytest.raises(ValueError, match="is not a day as YYYY-MM-DD"):
        scan_partitions(store, "t", [key])
    assert list(tmp_path.rglob("*.parquet")) == []


def test_a_publish_cut_short_is_finished_by_the_next_sweep_unless_the_day_was_published_since(tmp_path):
    """A run killed after its commit record and its first move: the tables of its landing read
    are finished together by a later run, except a day another run has published since."""
    store = Store(str(tmp_path))
    for asset in ("raw", "clean", "rejected"):
        store.write_parquet(partition_file(asset, "2024-01-01"), pl.DataFrame({"v": ["old"]}))
    dead = RunStaging(store, "dead")
    dead.claim()
    days = [dead.stage(asset, "2024-01-01", pl.DataFrame({"v": ["dead"]})) for asset in ("raw", "clean", "rejected")]
    store.write_bytes(dead.commit_record("events"), json.dumps([asdict(day) for day in days]).encode())
    store.publish_staged(days[0].staged_key, days[0].published_key)  # then kill -9
    time.sleep(1.1)  # object stores date objects to the second
    store.write_parquet(partition_file("rejected", "2024-01-01"), pl.DataFrame({"v": ["newer"]}))

    assert sweep(store, "next", lambda run_id: False) == ["dead"]

    values = {
        a: pl.read_parquet(store.path(partition_file(a, "2024-01-01")))["v"].item()
        for a in ("raw", "clean", "rejected")
    }
    assert values == {"raw": "dead", "clean": "dead", "rejected": "newer"}
    assert store.list_children(STAGING) == []


def test_staging_without_a_commit_is_never_published(tmp_path):
    store = Store(str(tmp_path))
    store.write_parquet(partition_file("clean", "2024-01-01"), pl.DataFrame({"v": ["old"]}))
    dead = RunStaging(store, "dead")
    dead.stage("clean", "2024-01-01", pl.DataFrame({"v": ["unaudited"]}))

    sweep(store, "next", lambda run_id: False)

    assert pl.read_parquet(store.path(partition_file("clean", "2024-01-01")))["v"].item() == "old"
