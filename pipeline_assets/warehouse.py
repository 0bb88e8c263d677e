"""The warehouse layout, spelled once, and the staging area that write-audit-publish goes through.

Published (the data contract): ``<warehouse>/<asset>/date=YYYY-MM-DD/data.parquet``. As Hive and
Spark writers do, the partition column ``date`` lives in the prefix, not in the files: every
partition of an asset then has the same schema, and pandas, pyarrow, Polars, DuckDB and Spark open
``<warehouse>/<asset>/`` as one dataset. Tables are computed with ``date``; it is dropped when a day
is staged and added back, from the prefix, whenever the project reads a partition.
Staged: ``<warehouse>/_staging/<run id>/<asset>/date=YYYY-MM-DD/data.parquet``, beside an
``owner.json`` naming the run's host and process. Readers never look under ``_staging`` (it is no
asset's folder, and Hive-style readers skip names that start with ``_``), and a run reads only
its own staging, by run id.

A run stages each day as it computes it, audits the day from the staged file and frees it before
the next day, so its memory is that of one day whatever the range. Once every blocking check of
the step has passed, the step publishes all its tables' days together (`RunStaging.publish`): a
commit record listing them, then each staged object moved by `Store.publish_staged` (a rename on
disk, a server-side copy on an object store: one day of one asset at a time, each atomic). A step
that fails before committing removes its staging. Staging left by a killed run is removed by a
later run (`sweep`), which first finishes any publish the dead run had committed to, so the tables
of one landing read never stay from two reads.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace

import dagster as dg
import polars as pl

from pipeline_assets.leases import owner_alive, owner_record
from pipeline_assets.partitions import partition_day
from pipeline_assets.storage import Store, WriteAlongside

DATA_FILE = "data.parquet"
PARTITION_COLUMN = "date"
STAGING = "_staging"
OWNER_FILE = "owner.json"
COMMIT_PREFIX = "commit-"  # commit-<step>.json: the staged days a step has begun to publish


def partition_prefix(asset: str, partition_key: str) -> str:
    return f"{asset}/{PARTITION_COLUMN}={partition_day(partition_key).isoformat()}"


def partition_file(asset: str, partition_key: str) -> str:
    return f"{partition_prefix(asset, partition_key)}/{DATA_FILE}"


def asset_scan(store: Store, asset: str, days: list[str] | None = None) -> pl.LazyFrame:
    """Every published partition of ``asset`` as one Hive-partitioned scan; a filter on ``date``
    prunes the partitions before any of their files is opened. ``days``: its `published_days`,
    if the caller has them already.

    The schema is the latest partition's (every partition has the same one), so that not even the
    first partition's footer is read when a filter leaves that partition out."""
    days = published_days(store, asset) if days is None else days
    latest = store.list_files(partition_prefix(asset, days[-1]), suffixes=(".parquet",)) if days else []
    if not latest:
        raise MissingPartitionsError(f"{asset} has no published partition under {store.uri(asset)}")
    schema = store.scan_parquet([latest[0].key]).drop(PARTITION_COLUMN, strict=False).collect_schema()
    scan = store.scan_dataset(asset, schema, partitioning={PARTITION_COLUMN: pl.Date})
    return scan.select(PARTITION_COLUMN, pl.exclude(PARTITION_COLUMN))


def published_days(store: Store, asset: str) -> list[str]:
    """The partition keys that ``asset`` has published, in order (a folder whose name is not a
    day is no partition)."""
    prefix = f"{PARTITION_COLUMN}="
    names = store.list_children(asset)
    return [
        name.removeprefix(prefix) for name in names if name.startswith(prefix) and _is_day(name.removeprefix(prefix))
    ]


def _is_day(partition_key: str) -> bool:
    try:
        partition_day(partition_key)
    except ValueError:
        return False
    return True


Table = pl.DataFrame | pl.LazyFrame | WriteAlongside  # what a day of an asset is staged from


def _file_frame(frame: Table, partition_key: str) -> Table:
    """What a partition's file holds: the table without its partition column, which must say
    ``partition_key`` on every row (a row of another day would be filed under the wrong one).
    A lazy table is not checked: it is a plan that sets the column to its day (`clean_day`,
    `raw_events_stream`), and checking would mean computing it twice."""
    if isinstance(frame, pl.LazyFrame):
        return frame.drop(PARTITION_COLUMN, strict=False)
    if isinstance(frame, WriteAlongside):
        return replace(frame, table=frame.table.drop(PARTITION_COLUMN, strict=False))
    if PARTITION_COLUMN not in frame.columns:
        return frame
    days = frame.get_column(PARTITION_COLUMN).unique()
    if days.len() and days.to_list() != [partition_day(partition_key)]:
        raise ValueError(f"rows for {sorted(map(str, days.to_list()))} cannot be filed under {partition_key}")
    return frame.drop(PARTITION_COLUMN)


def _with_partition_column(scan: pl.LazyFrame, partition_key: str) -> pl.LazyFrame:
    """A partition's rows with ``date`` first, from its prefix (a file written before the
    partition column left the files still carries it; the prefix wins)."""
    day = pl.lit(partition_day(partition_key)).alias(PARTITION_COLUMN)
    return scan.select(day, pl.exclude(PARTITION_COLUMN))


class MissingPartitionsError(dg.Failure):
    """An upstream partition the step needs was never published (retrying cannot help)."""

    def __init__(self, description: str):
        super().__init__(description=description, allow_retries=False)


def scan_partitions(store: Store, asset: str, partition_keys: Iterable[str]) -> dict[str, pl.LazyFrame]:
    """A lazy scan per published partition; any missing day fails, naming every missing day."""
    files = {
        key: [f.key for f in store.list_files(partition_prefix(asset, key), suffixes=(".parquet",))]
        for key in partition_keys
    }
    missing = [key for key, keys in files.items() if not keys]
    if missing:
        raise MissingPartitionsError(
            f"{asset} has no published partition for {', '.join(missing)} under {store.uri(asset)}: "
            f"materialise {asset} for {'that day' if len(missing) == 1 else 'those days'} first"
        )
    return {key: _with_partition_column(store.scan_parquet(keys), key) for key, keys in files.items()}


@dataclass(frozen=True)
class StagedPartition:
    asset: str
    partition_key: str
    staged_key: str
    rows: int
    size_bytes: int

    @property
    def published_key(self) -> str:
        return partition_file(self.asset, self.partition_key)


@dataclass(frozen=True)
class PublishedTable:
    """What a step hands its IO manager: one asset's audited days, published."""

    asset: str
    run_id: str
    partitions: tuple[StagedPartition, ...]


class RunStaging:
    """One run's staging area in the warehouse."""

    def __init__(self, store: Store, run_id: str):
        self.store, self.run_id = store, run_id
        self.prefix = f"{STAGING}/{run_id}"

    def claim(self) -> None:
        """Record who owns this staging, so that a later run can tell abandoned staging from live."""
        self.store.write_bytes(f"{self.prefix}/{OWNER_FILE}", json.dumps(owner_record(self.run_id)).encode())

    def stage(self, asset: str, partition_key: str, frame: Table) -> StagedPartition:
        """Write a day of ``asset`` to staging; a lazy table is sunk there without being held."""
        key = f"{self.prefix}/{partition_file(asset, partition_key)}"
        size = self.store.write_parquet(key, _file_frame(frame, partition_key))
        if isinstance(frame, pl.DataFrame):
            rows = frame.height
        else:  # from the file's footer
            rows = self.store.scan_parquet([key]).select(pl.len()).collect().item()
        return StagedPartition(asset, partition_key, key, rows, size)

    def scan(self, staged: StagedPartition) -> pl.LazyFrame:
        return _with_partition_column(self.store.scan_parquet([staged.staged_key]), staged.partition_key)

    def commit_record(self, step: str) -> str:
        return f"{self.prefix}/{COMMIT_PREFIX}{step}.json"

    def publish(self, step: str, partitions: Sequence[StagedPartition]) -> None:
        """Publish every staged day of a step's tables together.

        The commit record, written first, lists them all: if the process dies part-way, a later
        run finishes the publish (`sweep`) rather than leave tables of one landing read from two
        different reads. It goes once every day is in place."""
        record = self.commit_record(step)
        self.store.write_bytes(record, json.dumps([asdict(p) for p in partitions]).encode())
        _move_into_place(self.store, partitions)
        self.store.delete([record])
        for asset in sorted({p.asset for p in partitions}):
            self.store.delete_prefix(f"{self.prefix}/{asset}")
        self.release()

    def discard(self, asset: str) -> None:
        self.store.delete_prefix(f"{self.prefix}/{asset}")
        self.release()

    def release(self) -> None:
        """Drop the owner record once nothing else is staged (each step claims it again)."""
        if self.store.list_children(self.prefix) == [OWNER_FILE]:
            self.store.delete([f"{self.prefix}/{OWNER_FILE}"])
            self.store.remove_empty_folders(self.prefix)


def _move_into_place(store: Store, partitions: Iterable[StagedPartition], committed_at: float | None = None) -> None:
    """Publish each staged day, then drop what else its prefix held.

    Finishing another run's commit (``committed_at`` given) skips a day already moved (its staged
    object is gone) and a day published again since the commit, which is newer than this one."""
    for staged in partitions:
        if committed_at is not None:
            published = store.modified(staged.published_key)
            if not store.exists(staged.staged_key) or (published is not None and published >= committed_at):
                continue
        store.publish_staged(staged.staged_key, staged.published_key)
        # Objects of an earlier layout or writer are removed only after the new version is in
        # place, so the partition never reads as empty.
        prefix = partition_prefix(staged.asset, staged.partition_key)
        stale = [f.key for f in store.list_files(prefix, suffixes=(".parquet",)) if f.name != DATA_FILE]
        store.delete(stale)


def _finish_commits(store: Store, run_id: str) -> None:
    """Complete the publishes that run ``run_id`` had committed to when it stopped."""
    for record in store.list_files(f"{STAGING}/{run_id}", suffixes=(".json",)):
        if record.name.startswith(COMMIT_PREFIX):
            partitions = [StagedPartition(**entry) for entry in json.loads(store.read_bytes(record.key))]
            _move_into_place(store, partitions, committed_at=record.modified)


def sweep(store: Store, run_id: str, is_in_progress: Callable[[str], bool]) -> list[str]:
    """Remove the staging of every other run that is over or whose owner is gone, after finishing
    any publish it had committed to; returns their ids."""
    removed = []
    for other in store.list_children(STAGING):
        if other == run_id or (is_in_progress(other) and _owner_alive(store, other)):
            continue
        _finish_commits(store, other)
        store.delete_prefix(f"{STAGING}/{other}")
        removed.append(other)
    return removed


def _owner_alive(store: Store, run_id: str) -> bool:
    try:
        owner = json.loads(store.read_bytes(f"{STAGING}/{run_id}/{OWNER_FILE}"))
    except Exception:  # noqa: BLE001 - no readable owner: judge by the run's status alone
        return True
    return owner_alive(owner)
