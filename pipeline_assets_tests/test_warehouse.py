"""The staging area: who may remove whose staging (no Dagster run needed)."""

import json
import os
import socket
import subprocess
import sys
import time

import polars as pl

from pipeline_assets.storage import Store
from pipeline_assets.warehouse import (
    ABANDONED_AFTER_SECONDS,
    OWNER_FILE,
    STAGING,
    RunStaging,
    StagedTable,
    publish,
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

    publish(store, StagedTable("daily_user_metrics", "run-1", staged))

    assert [f.key for f in store.list_files("daily_user_metrics")] == [
        "daily_user_metrics/date=2024-01-01/data.parquet",
        "daily_user_metrics/date=2024-01-02/data.parquet",
    ]
    assert pl.read_parquet(store.path("daily_user_metrics/date=2024-01-02/data.parquet"))["x"].to_list() == [2, 3]
    assert not (tmp_path / STAGING).exists()
