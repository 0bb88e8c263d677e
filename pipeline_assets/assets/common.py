"""What every daily table asset shares: its decorator settings and its write-audit-publish path."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any

import dagster as dg
import polars as pl

from pipeline_assets.checks import SCHEMA_CHECK, check_outputs, record_evaluations, schema_evaluation
from pipeline_assets.leases import DayLeases
from pipeline_assets.metadata import (
    COLUMN_LINEAGE,
    COLUMN_SCHEMA,
    PREVIEW_ROWS,
    model_column_schema,
    partition_metadata,
)
from pipeline_assets.partitions import daily_partitions, single_run_backfill
from pipeline_assets.resources import Warehouse
from pipeline_assets.schemas import TableModel
from pipeline_assets.storage import StorageError, redacted_native_error
from pipeline_assets.transforms.memory import return_freed_memory
from pipeline_assets.warehouse import PublishedTable, RunStaging, StagedPartition, Table, sweep

OWNERS = ["team:data-platform"]
# Audits run beside the step's own work (Polars and Pandera's Polars release the GIL): a day's
# raw_events is audited while clean_day reads it. One thread for the process, as for the landing
# readers: a thread's allocator arena outlives it.
_AUDITOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit")

# Transient storage faults (a reset connection, a throttled request) deserve another try, spread
# out so that concurrent runs do not retry in lockstep. Deterministic failures (a missing day, a
# failed check) raise dg.Failure(allow_retries=False) and fail at once.
IO_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def step_pool(step: str) -> str:
    """The concurrency pool of a step: one per step, so that an instance that limits pools (the
    production one, deploy/dagster.yaml: one slot each) never runs a step in two runs at once."""
    return f"pipeline_assets.{step}"


def daily_multi_asset(**kwargs: Any) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """Every daily table is a multi-asset so that it can record one check evaluation per partition
    of a range run (can_subset makes the per-check outputs optional) before publishing anything."""

    def decorate(compute: Callable[..., Any]) -> dg.AssetsDefinition:
        settings = {
            "partitions_def": daily_partitions,
            "backfill_policy": single_run_backfill,
            "can_subset": True,
            "retry_policy": IO_RETRY,
            "pool": step_pool(compute.__name__),
        }
        return dg.multi_asset(**{**settings, **kwargs})(compute)

    return decorate


def table_out(
    group: str,
    description: str,
    model: TableModel | None = None,
    lineage: dg.TableColumnLineage | None = None,
) -> dg.AssetOut:
    metadata: dict[str, Any] = {}
    if model is not None:
        metadata[COLUMN_SCHEMA] = model_column_schema(model)
    if lineage is not None:
        metadata[COLUMN_LINEAGE] = lineage
    return dg.AssetOut(
        group_name=group,
        description=description,
        metadata=metadata,
        owners=OWNERS,
        kinds={"polars", "parquet"},
        is_required=False,
    )


class WriteAuditPublish:
    """One step's daily tables through write-audit-publish, a day at a time.

    Each day is staged as soon as it is computed, audited from the staged files (every row, by
    its Pandera model; on a thread of its own, beside the rest of the day's work) and recorded
    with its own metadata, so the step holds one day in memory. `day` waits for the day's audits:
    a blocking check that fails stops the step there; the step then publishes nothing and its
    staging is removed. Otherwise `outputs` publishes every staged day of every table of the
    step together (`RunStaging.publish`) and hands them to the IO manager, which records them.
    Entering takes the step's lease on each of its days (`leases`), so that no other run reads
    or publishes them until this one is done. Use as a context manager around the step's loop
    over its days, everything the step reads included::

        with WriteAuditPublish(context, warehouse, {"daily_user_metrics": DailyUserMetrics}) as wap:
            for day in context.partition_keys:
                yield from wap.day(day, {"daily_user_metrics": compute(day)})
            yield from wap.outputs()
    """

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        warehouse: Warehouse,
        models: Mapping[str, TableModel | None],
    ):
        self.context = context
        selected = {key.to_user_string() for key in context.selected_asset_keys}
        self.models = {asset: model for asset, model in models.items() if asset in selected}
        self.staging = RunStaging(warehouse.store, context.run.run_id)
        self.leases = _day_leases(context, warehouse)
        self.staged: dict[str, list[StagedPartition]] = {asset: [] for asset in self.models}
        self._audits: list[Future[dg.AssetCheckEvaluation]] = []  # the current day's, running or done

    def __enter__(self) -> "WriteAuditPublish":
        self.leases.acquire(self.context.partition_keys)  # before anything is read
        removed = sweep(self.staging.store, self.context.run.run_id, self._in_progress)
        if removed:
            self.context.log.info(f"removed the staging of {len(removed)} earlier runs: {', '.join(removed)}")
        self.staging.claim()
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        for audit in self._audits:  # a failing step's audits end before its staging is removed
            if not audit.cancel():
                audit.exception()  # waits; a failure of its own is not the step's
        self.leases.release()
        if error_type is None:
            return
        # Failed while publishing: the commit stands, and a retry or a later run finishes it.
        if not self.staging.store.exists(self.staging.commit_record(self._step)):
            for asset in self.models:  # a failed check, a crash, or the step being stopped
                self.staging.discard(asset)
        replacement = step_error(error)
        if replacement is not None:
            raise replacement from None

    def stage(self, partition_key: str, tables: dict[str, Table]) -> dict[str, pl.LazyFrame]:
        """Stage a day of each table in ``tables``, start its audit from staging (`day` waits for
        it) and record its metadata.

        A lazy table is sunk to staging a batch at a time, never whole. Takes each table out of
        ``tables`` as it goes, so that nothing holds a table once it is staged (the audit reads
        the staged file): give it the only references. Returns the staged rows of each, for
        what is computed from them (cleaning reads raw_events back, figures read clean_events).
        `day` stages the day's other tables and records the day's verdicts."""
        scans = {}
        for asset, model in self.models.items():
            if asset not in tables:
                continue
            staged = self.staging.stage(asset, partition_key, tables.pop(asset))
            self.staged[asset].append(staged)
            # The staged file is what gets published, so it is what is audited, a batch at a time.
            scan = scans[asset] = self.staging.scan(staged)
            key = dg.AssetKey(asset)
            if model is not None and dg.AssetCheckKey(key, SCHEMA_CHECK) in self.context.selected_asset_check_keys:
                self._audits.append(_AUDITOR.submit(_audit, asset, model, scan, partition_key))
            metadata = partition_metadata(
                scan.head(PREVIEW_ROWS).collect(),
                staged,
                self.staging.store.uri(staged.published_key),
                self.context.assets_def.metadata_by_key[key],
            )
            self.context.add_asset_metadata(metadata, asset_key=key, partition_key=partition_key)
            # Or a range run's resident memory would creep up by the day, and the next table's
            # read-back would sit on top of this one's freed but kept blocks.
            return_freed_memory()
        return scans

    def day(
        self,
        partition_key: str,
        frames: Mapping[str, Table],
        extra_evaluations: Sequence[dg.AssetCheckEvaluation] = (),
        figures: Mapping[str, Any] | None = None,
    ) -> Iterator[Any]:
        """Stage, then audit from staging, the day of every selected table not yet `stage`d;
        record every verdict of the day and fail on a failed check. ``figures`` are the day's
        own (counts, totals), shown on each table's partition."""
        pending = dict(frames)
        del frames  # the caller passes its tables without keeping them: see `stage`
        self.stage(partition_key, pending)
        for asset in self.models:
            if not any(staged.partition_key == partition_key for staged in self.staged[asset][-1:]):
                raise ValueError(f"{asset} has no table for {partition_key}")  # the asset's code is wrong
            if figures:
                self.context.add_asset_metadata(
                    dict(figures), asset_key=dg.AssetKey(asset), partition_key=partition_key
                )
        audits, self._audits = self._audits, []
        yield from record_evaluations(self.context, [audit.result() for audit in audits] + list(extra_evaluations))

    def outputs(self) -> Iterator[dg.Output]:
        yield from check_outputs(self.context)
        self.staging.publish(self._step, [day for days in self.staged.values() for day in days])
        for asset, staged in self.staged.items():
            yield dg.Output(PublishedTable(asset, self.context.run.run_id, tuple(staged)), output_name=asset)

    @property
    def _step(self) -> str:
        return self.context.op_def.name

    def _in_progress(self, run_id: str) -> bool:
        return run_in_progress(self.context.instance, run_id)


def _audit(asset: str, model: TableModel, scan: pl.LazyFrame, partition_key: str) -> dg.AssetCheckEvaluation:
    evaluation = schema_evaluation(asset, model, scan, partition_key)
    return_freed_memory()
    return evaluation


def run_in_progress(instance: dg.DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is not None and not run.is_finished


def _day_leases(context: dg.AssetExecutionContext, warehouse: Warehouse) -> DayLeases:
    return DayLeases(
        warehouse.store,
        context.op_def.name,
        context.run.run_id,
        partial(run_in_progress, context.instance),
        context.log.info,
    )


@contextmanager
def leased_days(context: dg.AssetExecutionContext, warehouse: Warehouse) -> Iterator[None]:
    """The step's leases on its days, for a step that writes outside `WriteAuditPublish`."""
    leases = _day_leases(context, warehouse)
    leases.acquire(context.partition_keys)
    try:
        yield
    finally:
        leases.release()


def step_error(error: BaseException) -> BaseException | None:
    """What a step raises instead of ``error``, if anything: a failure of Polars' native reader
    redacted like the storage layer's, and a storage failure that retrying cannot fix as a
    Failure that the retry policy leaves alone."""
    redacted = redacted_native_error(error)
    if redacted is not None:
        return redacted
    if isinstance(error, StorageError) and not error.transient:
        return dg.Failure(str(error), allow_retries=False)
    return None


@contextmanager
def step_errors() -> Iterator[None]:
    """`step_error` around a block (or, as a decorator, a whole step)."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - replaced only where step_error says so
        replacement = step_error(error)
        if replacement is None:
            raise
        raise replacement from None
