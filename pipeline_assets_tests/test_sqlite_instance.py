"""The embedded instance's storage (dagster.yaml): Dagster's SQLite files, connections kept open.

Two instances over one DAGSTER_HOME stand for two processes (each has its own connections), as
the webserver and a run worker do.
"""

import shutil
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from pipeline_assets import sqlite_instance
from pipeline_assets.sqlite_instance import KeptOpenSqliteEventLogStorage

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.get()  # a new instance from $DAGSTER_HOME/dagster.yaml


def engine_event(writer: dg.DagsterInstance, run_id: str, message: str) -> None:
    writer.report_engine_event(message, None, run_id=run_id, job_name="job")


def messages(reader: dg.DagsterInstance, run_id: str) -> list[str]:
    return [record.dagster_event.message for record in reader.all_logs(run_id) if record.dagster_event]


def test_the_embedded_instance_keeps_its_connections_open_in_dagsters_layout(home):
    writer = instance()
    assert isinstance(writer.event_log_storage, KeptOpenSqliteEventLogStorage)
    engine_event(writer, "run-1", "first")
    # Committed but not checkpointed: the event is in the shard's log while the connection is open.
    assert (home / "history" / "runs" / "run-1.db-wal").exists()
    with instance() as reader:
        assert messages(reader, "run-1") == ["first"]  # another process reads it
    # Dagster's own storage opens the same files: an instance made before this class keeps its history.
    stock = SqliteEventLogStorage(str(home / "history" / "runs"))
    assert [r.dagster_event.message for r in stock.get_logs_for_run("run-1") if r.dagster_event] == ["first"]
    writer.dispose()
    assert not (home / "history" / "runs" / "run-1.db-wal").exists()  # the last to close checkpoints


def test_asset_events_reach_the_index_that_other_processes_query(home):
    writer, reader = instance(), instance()
    writer.report_runless_asset_event(dg.AssetMaterialization("clean_events", partition="2024-01-01"))
    engine_event(reader, "run-2", "the reader writes too")  # two writers, one after the other
    writer.report_runless_asset_event(dg.AssetMaterialization("clean_events", partition="2024-01-02"))
    assert reader.get_materialized_partitions(dg.AssetKey("clean_events")) == {"2024-01-01", "2024-01-02"}
    assert messages(writer, "run-2") == ["the reader writes too"]


def test_a_watched_run_hears_each_event_while_the_writer_keeps_its_connection(home):
    """The UI follows a running run's events through a watch on its shard's files."""
    watcher, writer = instance(), instance()
    heard: list[str] = []
    watcher.event_log_storage.watch("run-3", None, lambda entry, _cursor: heard.append(entry.dagster_event.message))
    try:
        for message in ("started", "step done"):
            engine_event(writer, "run-3", message)
            deadline = time.monotonic() + 10
            while message not in heard and time.monotonic() < deadline:
                time.sleep(0.02)
        assert heard == ["started", "step done"]
    finally:
        watcher.dispose()


def test_a_process_keeps_a_bounded_number_of_shards_open(home, monkeypatch):
    monkeypatch.setattr(sqlite_instance, "OPEN_SHARDS", 3)
    writer = instance()
    for n in range(6):
        engine_event(writer, f"run-{n}", f"event {n}")
    assert list(writer.event_log_storage._engines) == ["run-3", "run-4", "run-5"]
    assert messages(writer, "run-0") == ["event 0"]  # reopened on demand
    assert len(writer.event_log_storage._engines) == 3


def test_wipe_closes_the_connections_before_the_files_go(home):
    writer = instance()
    engine_event(writer, "run-4", "before")
    writer.wipe()
    assert messages(instance(), "run-4") == []
    engine_event(writer, "run-4", "after")  # a new file, not the deleted one still open
    assert messages(instance(), "run-4") == ["after"]


def test_which_tables_exist_is_asked_of_sqlite_once(home, monkeypatch):
    asked: list[str] = []
    dagsters = SqliteEventLogStorage.has_table
    monkeypatch.setattr(
        SqliteEventLogStorage, "has_table", lambda self, name: asked.append(name) or dagsters(self, name)
    )
    writer = instance()
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        evaluation = dg.AssetCheckEvaluation(asset_key=dg.AssetKey("a"), check_name="rows", passed=True, partition=day)
        writer.report_runless_asset_event(evaluation)
    assert asked.count("asset_check_executions") == 1
    history = writer.event_log_storage.get_asset_check_execution_history(dg.AssetCheckKey(dg.AssetKey("a"), "rows"), 10)
    assert sorted(execution.partition for execution in history) == ["2024-01-01", "2024-01-02", "2024-01-03"]


def test_commits_are_synced_at_checkpoints_not_one_by_one(home):
    """WAL with synchronous=NORMAL: a run's events are commits, each of which would otherwise wait
    for the disk; the log is synced when it is checkpointed into the database."""
    writer = instance()
    engine_event(writer, "run-5", "event")
    storage = writer.event_log_storage
    for shard in ("run-5", "index"):
        with storage._connect(shard) as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL (FULL is 2)
