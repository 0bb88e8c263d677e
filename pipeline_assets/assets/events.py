"""Landing event files to raw_events, clean_events and rejected_events, in one pass.

One step produces the three because a record that cannot even be parsed is known only while its
file is read: the contract keeps it out of raw_events yet requires it, with its raw text, in
rejected_events. Reading each landing byte once also keeps the day's largest input off the disk
a second time. The three remain separate assets (raw group, clean group) with lineage
raw_events -> clean_events / rejected_events.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import dagster as dg
import polars as pl

from pipeline_assets.assets.common import WriteAuditPublish, daily_multi_asset, table_out
from pipeline_assets.assets.raw import LandingReads, ingestion_time, read_landing_days, require_event_files
from pipeline_assets.checks import (
    landing_files_check_spec,
    landing_files_evaluation,
    reconciliation_check_spec,
    reconciliation_evaluation,
    schema_check_spec,
)
from pipeline_assets.log_format import log_fields
from pipeline_assets.metadata import column_lineage
from pipeline_assets.resources import LandingZone, Warehouse
from pipeline_assets.schemas import CleanEvents, RawEvents, RejectedEvents
from pipeline_assets.storage import WriteAlongside
from pipeline_assets.transforms.clean import Reconciliation, clean_day
from pipeline_assets.transforms.file_accounting import file_accounting
from pipeline_assets.transforms.landing_file import SOURCE_FILE, UNPARSABLE_SCHEMA
from pipeline_assets.transforms.raw_layer import extra_columns, raw_events_part, raw_events_stream

RAW_EVENTS, CLEAN_EVENTS, REJECTED_EVENTS = "raw_events", "clean_events", "rejected_events"
ONE_LANDING_READ = (RAW_EVENTS, CLEAN_EVENTS, REJECTED_EVENTS)

# Each clean column from the raw fields it is typed from; amounts in USD also need the day's rate.
CLEAN_LINEAGE = column_lineage(
    {
        **{c: {RAW_EVENTS: [c]} for c in CleanEvents.column_names if c not in ("usd_per_unit", "amount_usd")},
        "usd_per_unit": {RAW_EVENTS: ["currency"], "raw_fx_rates": ["currency", "usd_per_unit"]},
        "amount_usd": {RAW_EVENTS: ["amount", "currency"], "raw_fx_rates": ["currency", "usd_per_unit"]},
    }
)


@daily_multi_asset(
    outs={
        RAW_EVENTS: table_out(
            "raw",
            "Every parsable landing record of the day, as text, with _source_file, _source_line and "
            "_ingested_at; fields beyond the contract's (schema drift) are kept in _extra_columns, a JSON "
            "object, and reported.",
            model=RawEvents,
        ),
        CLEAN_EVENTS: table_out(
            "clean",
            "Typed events, UTC timestamps, amount_usd for purchases; one row per event_id (the latest "
            "event_ts, ties to the last by source file and line).",
            model=CleanEvents,
            lineage=CLEAN_LINEAGE,
        ),
        REJECTED_EVENTS: table_out(
            "clean",
            "Every landing record that could not become clean, with its source file, line, raw text and reject_reason.",
            model=RejectedEvents,
        ),
    },
    ins={"raw_fx_rates": dg.AssetIn()},
    internal_asset_deps={
        RAW_EVENTS: set(),
        CLEAN_EVENTS: {dg.AssetKey(RAW_EVENTS), dg.AssetKey("raw_fx_rates")},
        REJECTED_EVENTS: {dg.AssetKey(RAW_EVENTS), dg.AssetKey("raw_fx_rates")},
    },
    check_specs=[
        schema_check_spec(RAW_EVENTS, RawEvents),
        landing_files_check_spec(RAW_EVENTS),
        schema_check_spec(CLEAN_EVENTS, CleanEvents),
        schema_check_spec(REJECTED_EVENTS, RejectedEvents),
        reconciliation_check_spec(CLEAN_EVENTS),
    ],
    # The three come from one landing read, so they are published together or not at all:
    # clean_events alone from a newer read would be out of step with rejected_events. A selection
    # of fewer is refused when the step starts (`require_whole_read`). Not can_subset=False, which
    # would say the same to Dagster: Dagster 1.13.27 then refuses every UI backfill of the graph
    # ("Targeted subset must match ... non-subsettable multi-asset"; its check compares a root's
    # subset and a child's with tuple.__ne__, which also compares a cached partition count).
)
def events(
    context: dg.AssetExecutionContext,
    landing: LandingZone,
    warehouse: Warehouse,
    raw_fx_rates: dict[str, pl.LazyFrame],
):
    require_whole_read(context)
    models = {RAW_EVENTS: RawEvents, CLEAN_EVENTS: CleanEvents, REJECTED_EVENTS: RejectedEvents}
    with WriteAuditPublish(context, warehouse, models) as wap:
        files_by_day = require_event_files(landing, context.partition_keys)
        ingested_at = ingestion_time()
        # A day's files are parsed while the day before is cleaned and audited (`read_landing_days`).
        for partition_key, reads in read_landing_days(landing, files_by_day):
            fx_rates = raw_fx_rates[partition_key]
            evaluations, figures = _stage_day(context, wap, reads, partition_key, fx_rates, ingested_at)
            yield from wap.day(partition_key, {}, evaluations, figures)
        yield from wap.outputs()


def require_whole_read(context: dg.AssetExecutionContext) -> None:
    """Fail at once, before anything is read, unless the run selects all three tables."""
    missing = [key for key in ONE_LANDING_READ if dg.AssetKey(key) not in context.selected_asset_keys]
    if missing:
        raise dg.Failure(
            f"{', '.join(ONE_LANDING_READ)} come from one landing read and are published together: "
            f"this run leaves out {', '.join(missing)}. Select all three (with their downstream assets "
            "if they should follow).",
            allow_retries=False,
        )


@dataclass(frozen=True)
class _StagedRaw:
    """A day's raw layer once ``raw_events`` is staged: what cleaning and the checks still need."""

    records: pl.LazyFrame  # raw_events as staged
    unparsable: pl.DataFrame
    records_by_file: dict[str, int]  # counted from the landing bytes
    accounting: pl.DataFrame
    extra: list[str]


def _stage_raw(wap: WriteAuditPublish, reads: LandingReads, partition_key: str, ingested_at: datetime) -> _StagedRaw:
    """Stage ``raw_events`` from the day's parsed files, a file at a time: each file's records are
    written and let go before the next file is taken (`read_landing_days` reads ahead within its
    budget), so the day's parsed text is never whole in memory."""
    day = date.fromisoformat(partition_key)
    records_by_file: dict[str, int] = {}
    unparsable: list[pl.DataFrame] = []
    extra: set[str] = set()

    def parts() -> Iterator[pl.DataFrame]:
        for file, parsed, counted in reads:
            records_by_file[file.key] = counted
            unparsable.append(parsed.unparsable)
            extra.update(extra_columns(parsed.landed_columns))
            part = raw_events_part(parsed.records, day, ingested_at)
            del parsed
            yield part
            del part  # resumed: written, so let go of it before the next file is parsed

    staged = wap.stage(partition_key, {RAW_EVENTS: raw_events_stream(parts)})[RAW_EVENTS]
    rejected_unparsed = pl.concat(unparsable) if unparsable else pl.DataFrame(schema=UNPARSABLE_SCHEMA)
    # What the staged table holds per file, against the landing bytes' count of each.
    accounting = file_accounting(records_by_file, staged.select(SOURCE_FILE).collect(), rejected_unparsed)
    return _StagedRaw(staged, rejected_unparsed, records_by_file, accounting, sorted(extra))


def _stage_day(
    context: dg.AssetExecutionContext,
    wap: WriteAuditPublish,
    reads: LandingReads,
    partition_key: str,
    fx_rates: pl.LazyFrame,
    ingested_at: datetime,
) -> tuple[list[dg.AssetCheckEvaluation], dict]:
    """Stage the day's three tables, each as soon as it is computed (raw_events as it is parsed,
    clean_events sunk from the staged raw_events); return the day's other verdicts and figures."""
    raw = _stage_raw(wap, reads, partition_key, ingested_at)
    file_count = len(raw.records_by_file)  # every file of the day, each counted
    result = clean_day(raw.records, raw.unparsable.lazy(), fx_rates, date.fromisoformat(partition_key))
    # The rows that break a rule are found while clean_events is sunk: the day is typed once.
    clean_pass = WriteAlongside(result.clean, (result.invalid_rows,))
    clean = wap.stage(partition_key, {CLEAN_EVENTS: clean_pass})[CLEAN_EVENTS]
    rejected = result.rejected(*clean_pass.collected)
    rejected_rows = rejected.height
    wap.stage(partition_key, {REJECTED_EVENTS: rejected})
    del rejected
    clean_rows, revenue = clean.select(pl.len(), pl.col("amount_usd").sum()).collect().row(0)
    counts = Reconciliation(
        landing_records=sum(raw.records_by_file.values()),
        clean_rows=clean_rows,
        rejected_rows=rejected_rows,
        duplicates_removed=result.duplicates_removed,
    )
    figures = {
        "files": file_count,
        **counts.as_metadata(),
        "extra_columns": ", ".join(raw.extra),
        "revenue_usd": float(revenue or 0.0),
    }
    # One line a day, a warning if the landing files drifted: each line is an event in the run's
    # storage, so a range run would write a second one a day.
    drift = f"; schema drift, extra columns kept in raw_events._extra_columns: {raw.extra}" if raw.extra else ""
    (context.log.warning if raw.extra else context.log.info)(
        f"{partition_key}: {counts.landing_records} records in {file_count} files -> {counts.clean_rows} clean, "
        f"{counts.rejected_rows} rejected, {counts.duplicates_removed} duplicates{drift}",
        extra=log_fields(
            partition=partition_key, asset=CLEAN_EVENTS, counts={"files": file_count, **counts.as_metadata()}
        ),
    )
    evaluations = [
        reconciliation_evaluation(CLEAN_EVENTS, partition_key, counts),
        landing_files_evaluation(RAW_EVENTS, partition_key, raw.accounting),
    ]
    return evaluations, figures
