"""The embedded default instance's storage: Dagster's SQLite storage, with connections kept open.

Dagster's ``SqliteEventLogStorage`` makes an engine and opens a connection for every statement it
runs. Closing the last connection to a WAL database checkpoints the log into the database and
deletes it, so each event of a run (a materialisation writes the run's shard and the index shard,
two to four connections) pays for a checkpoint and a new log: about 13 ms an event on this
machine, a third of a 10-day range run's main thread (profile in benchmarks/RESULTS.md). Here
each process keeps one connection per shard: about 5 ms an event.

What stays Dagster's: the files and their layout under ``$DAGSTER_HOME`` (an instance made before
this class reads and writes the same files), the schema and its migrations, the lock that lets
one thread at a time use the storage, and WAL mode, in which other processes (webserver, daemon,
run workers) read what a connection has committed whether or not it is checkpointed. What this
adds: closing those connections before the files go (``wipe``) and when the storage is disposed;
remembering which tables exist (Dagster asks before each check evaluation, with a new engine);
a bounded number of open shards, for the webserver and the daemon, which read many runs; and a
checkpoint of a run's shard after each use, which every close used to do: Dagster's watch of a
run's events (the UI's live view) is woken by changes to the ``.db`` file, and a commit alone
changes only its ``-wal`` log. The checkpoint is passive (it waits for no reader) and costs
under a millisecond. And commits are synced to disk at checkpoints, not one by one (WAL with
``synchronous=NORMAL``, SQLite's advice for WAL): 0.5 ms less an event here. Production uses
PostgreSQL (deploy/dagster.yaml) and none of this.

Configured in dagster.yaml::

    storage:
      custom:
        module: pipeline_assets.sqlite_instance
        class: KeptOpenSqliteStorage
        config:
          base_dir:
            env: DAGSTER_HOME
"""

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

OPEN_SHARDS = 16  # the index and the latest runs a process touched; more are closed, oldest first


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one connection per shard and process, kept open."""

    def __init__(self, base_dir: str, inst_data: Any = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._tables: set[str] = set()  # tables known to exist
        super().__init__(base_dir, inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's: the lock is held while the connection is in use, so a connection is never
        # used by two threads at once (hence check_same_thread=False) and none is in use while
        # another shard's is closed.
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn
                if shard != INDEX_SHARD_NAME:
                    # Into the run's .db file once committed, as each close did: Dagster's watch of
                    # a run (the UI's live events) is woken by that file changing, not by its log.
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _engine(self, shard: str) -> Engine:
        if self._engines_pid != os.getpid():
            # A forked child must not use its parent's SQLite handles, nor close them.
            self._engines, self._engines_pid = OrderedDict(), os.getpid()
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=StaticPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sync_at_checkpoints)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_SHARDS:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def has_table(self, table_name: str) -> bool:
        # Asked before every check evaluation and asset event's tags, and Dagster's answer makes
        # an engine and a connection each time. A table, once there, stays: migrations add
        # tables and nothing drops one. Dagster's own answer otherwise, which takes no lock
        # (it is also asked while a connection is in use).
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def _close_all(self) -> None:
        with self._db_lock:
            engines = self._engines if self._engines_pid == os.getpid() else {}
            for engine in engines.values():
                engine.dispose()
            self._engines = OrderedDict()

    def wipe(self) -> None:
        self._close_all()  # before the files are deleted under them
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._close_all()


def _sync_at_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    # In WAL mode, NORMAL syncs the log to disk at each checkpoint instead of at each commit:
    # still atomic and consistent, and a crash of the process loses nothing; only a power loss
    # or a crash of the machine can lose the latest commits. Every event of a run is a commit.
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class KeptOpenSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite instance storage (runs, event logs, schedules under ``base_dir``, as by
    default) with `KeptOpenSqliteEventLogStorage` for its event logs."""

    def __init__(self, base_dir: str, inst_data: Any = None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage = KeptOpenSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> "KeptOpenSqliteStorage":
        return cls.from_local(inst_data=inst_data, **config_value)
