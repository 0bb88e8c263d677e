"""Blocking asset checks, evaluated per partition before anything is published (write-audit-publish).

Each daily asset stages a day, evaluates its checks on the staged files and yields one evaluation
per (check, day) (see `assets.common.WriteAuditPublish`). Only if every blocking check passed
does it yield its outputs, which the IO manager then publishes; otherwise the step fails naming
the day and checks, the previously published partitions stay as they were, and downstream steps
do not run.
"""

import re
from collections.abc import Iterator, Mapping, Sequence

import dagster as dg
import polars as pl

from pipeline_assets.metadata import markdown_table
from pipeline_assets.partitions import daily_partitions
from pipeline_assets.schemas import TableModel
from pipeline_assets.transforms.clean import Reconciliation
from pipeline_assets.transforms.memory import BATCH_ROWS, in_batches

SCHEMA_CHECK = "schema"
RECONCILIATION_CHECK = "reconciliation"
LANDING_FILES_CHECK = "landing_files"
REPORT_FILES_CHECK = "report_files"
REPORT_ASSET = "daily_report"
FAILING_ROWS_SAMPLE = 10
AUDIT_BATCH_ROWS = BATCH_ROWS


def daily_check_spec(name: str, asset: str, description: str, *, blocking: bool = True) -> dg.AssetCheckSpec:
    """A check evaluated per day of a run; blocking unless it only informs (freshness)."""
    return dg.AssetCheckSpec(
        name, asset=asset, blocking=blocking, partitions_def=daily_partitions, description=description
    )


def schema_check_spec(asset: str, model: TableModel) -> dg.AssetCheckSpec:
    return daily_check_spec(
        SCHEMA_CHECK, asset, f"Every row of the partition satisfies the Pandera model {model.name}."
    )


def reconciliation_check_spec(asset: str) -> dg.AssetCheckSpec:
    return daily_check_spec(
        RECONCILIATION_CHECK,
        asset,
        "Landing records = clean_events rows + rejected_events rows + duplicate rows removed.",
    )


def landing_files_check_spec(asset: str) -> dg.AssetCheckSpec:
    return daily_check_spec(
        LANDING_FILES_CHECK,
        asset,
        "Every landing file of the day is accounted for: its records (counted from its bytes) are "
        "all in raw_events or, if unparsable, in rejected_events, and no record comes from an unlisted file.",
    )


def landing_files_evaluation(asset: str, partition_key: str, accounting: pl.DataFrame) -> dg.AssetCheckEvaluation:
    """``accounting`` is `transforms.file_accounting.file_accounting`'s table for the day."""
    from pipeline_assets.transforms.file_accounting import unaccounted

    wrong = unaccounted(accounting)
    metadata: dict = {
        "files": accounting.height,
        "files_unaccounted": wrong.height,
        "by_file": dg.MetadataValue.md(markdown_table(wrong if wrong.height else accounting, limit=50, width=80)),
    }
    return blocking_evaluation(asset, LANDING_FILES_CHECK, partition_key, wrong.is_empty(), metadata)


def schema_evaluation(
    asset: str, model: TableModel, table: pl.LazyFrame | pl.DataFrame, partition_key: str
) -> dg.AssetCheckEvaluation:
    """Validate every row (not just the schema) and summarise failures by column and check.

    A staged table is read and validated a batch of rows at a time, and its uniqueness rules on
    the key columns alone, so an audit never holds the whole table (nor Pandera's work on it):
    auditing a day's raw_events at once was the events step's memory peak."""
    from pandera.errors import SchemaErrors  # imported with the first audit, not at load

    def failure_cases(validate, frame: pl.DataFrame) -> pl.DataFrame | None:
        try:
            validate(frame)
        except SchemaErrors as errors:
            return errors.failure_cases
        return None

    table, rows, found, sample = table.lazy(), 0, [], []
    for batch in in_batches(table, AUDIT_BATCH_ROWS):  # an empty table still has columns and types to check
        cases = failure_cases(model.validate_rows, batch)
        if cases is not None:
            found.append(cases.with_columns(pl.col("index") + rows))
            failing = cases["index"].drop_nulls().unique().sort().head(FAILING_ROWS_SAMPLE - sum(map(len, sample)))
            sample.append(batch[failing.to_list()])
        rows += batch.height
    for keys in model.uniqueness_rules:
        if set(keys) <= set(batch.columns):
            repeated = repeated_keys(table, list(keys))
            if repeated.height:
                found.append(repeated)
                if not any(map(len, sample)):
                    sample.append(_rows_at(table, repeated["index"].unique().sort().head(FAILING_ROWS_SAMPLE)))
    metadata: dict = {"rows_checked": rows}
    if found:
        # A table-wide failure (a missing column, a wrong type) is found again in every batch.
        cases = pl.concat(found, how="diagonal_relaxed").unique(maintain_order=True)
        by_check = (
            cases.group_by(pl.col("column").fill_null("<table>"), "check")
            .agg(pl.len().alias("failures"))
            .sort("failures", "column", descending=[True, False])
        )
        failing_rows = pl.concat(sample, how="diagonal_relaxed") if sample else pl.DataFrame()
        metadata.update(
            failures=int(by_check["failures"].sum()),
            failures_by_check=dg.MetadataValue.md(markdown_table(by_check, limit=50)),
            failing_rows_sample=dg.MetadataValue.md(
                markdown_table(failing_rows if failing_rows.height else cases, FAILING_ROWS_SAMPLE)
            ),
        )
    return blocking_evaluation(asset, SCHEMA_CHECK, partition_key, not found, metadata)


def repeated_keys(table: pl.LazyFrame, keys: list[str]) -> pl.DataFrame:
    """Failure cases, as Pandera words them, of the rows whose ``keys`` values repeat.

    Found by hash first (8 bytes a row; Pandera's own check on a day's raw_events held 300 MiB),
    then only rows sharing a hash are compared by value."""
    index = "index"
    hashes = table.select(pl.struct(keys).hash()).collect(engine="streaming").to_series()
    numbered = table.with_row_index(index).select(index, *keys)
    if hashes.n_unique() == hashes.len():  # the usual case, found at a third of is_duplicated's cost
        rows = numbered.head(0).collect()
    else:
        rows = numbered.filter(pl.col(index).is_in(hashes.is_duplicated().arg_true().implode())).collect()
    repeated = rows.filter(pl.struct(keys).is_duplicated())
    single = len(keys) == 1
    return repeated.select(
        pl.lit(keys[0] if single else None, pl.String).alias("column"),
        pl.lit("field_uniqueness" if single else "multiple_fields_uniqueness").alias("check"),
        pl.col(index).cast(pl.Int64),
        (pl.col(keys[0]).cast(pl.String) if single else pl.struct(keys).struct.json_encode()).alias("failure_case"),
    )


def _rows_at(table: pl.LazyFrame, positions: pl.Series) -> pl.DataFrame:
    index = "_position"
    return table.with_row_index(index).filter(pl.col(index).is_in(positions.implode())).drop(index).collect()


def reconciliation_evaluation(asset: str, partition_key: str, counts: Reconciliation) -> dg.AssetCheckEvaluation:
    return blocking_evaluation(asset, RECONCILIATION_CHECK, partition_key, counts.balanced, counts.as_metadata())


def blocking_evaluation(
    asset: str, check: str, partition_key: str, passed: bool, metadata: dict
) -> dg.AssetCheckEvaluation:
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(asset),
        check_name=check,
        passed=passed,
        partition=partition_key,
        blocking=True,
        metadata=metadata,
    )


def record_evaluations(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, evaluations: Sequence[dg.AssetCheckEvaluation]
) -> Iterator[dg.AssetCheckResult | dg.AssetCheckEvaluation]:
    """Record every evaluation; stop the step, publishing nothing, if any blocking check failed."""
    # A run of part of a multi-asset (only raw_events, say) records only the checks it selected.
    evaluations = [e for e in evaluations if e.asset_check_key in context.selected_asset_check_keys]
    yield from check_results(context, evaluations)
    failed = [e for e in evaluations if not e.passed]
    if failed:
        listed = "; ".join(
            f"{e.asset_key.to_user_string()} {e.check_name} on {e.partition}"
            + (f" ({e.metadata['failures'].value} failures)" if "failures" in e.metadata else "")
            for e in failed
        )
        raise dg.Failure(
            description=f"Blocking checks failed, so nothing was published: {listed}. "
            "The previously published partitions are unchanged; see each check's failing rows.",
            allow_retries=False,
        )


def check_results(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, evaluations: Sequence[dg.AssetCheckEvaluation]
) -> Iterator[dg.AssetCheckResult | dg.AssetCheckEvaluation]:
    """Each evaluation as the step reports it, tied to its day."""
    # A run for one partition (not a range, even of one day) ties AssetCheckResult to that day.
    single_day = context.has_partition_key
    for evaluation in evaluations:
        if single_day:  # the public result type; Dagster ties it to the run's one partition
            yield dg.AssetCheckResult(
                asset_key=evaluation.asset_key,
                check_name=evaluation.check_name,
                passed=evaluation.passed,
                metadata=evaluation.metadata,
                description=evaluation.description,
                severity=evaluation.severity,
            )
        else:  # AssetCheckResult cannot name a partition; an evaluation can
            yield evaluation


def check_outputs(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> Iterator[dg.Output]:
    """Each check has an op output that gates downstream steps. AssetCheckResult fills it in a
    one-day run; after per-partition evaluations we fill it the same way Dagster does."""
    if context.has_partition_key:
        return
    for output_name, spec in context.op_execution_context.assets_def.check_specs_by_output_name.items():
        if spec.key in context.selected_asset_check_keys:
            yield dg.Output(None, output_name=output_name)


_LOCAL_LINK = re.compile(rb"""(?:href|src)\s*=\s*["']([^"'#?:]+)["']""")  # no scheme: a file beside the page


def report_files_problems(files: Mapping[str, int], page: bytes | None) -> list[str]:
    """What is wrong with one day's report files: ``files`` maps each file name under the day's
    prefix to its size, ``page`` is report.html's content (None if absent)."""
    if page is None:
        return ["report.html is missing"]
    problems = [f"{name} is empty" for name, size in sorted(files.items()) if size == 0]
    linked = sorted({link.decode() for link in _LOCAL_LINK.findall(page)})
    problems += [f"report.html links to {name}, which is missing" for name in linked if name not in files]
    return problems


def report_files_evaluation(
    partition_key: str, files: Mapping[str, int], page: bytes | None
) -> dg.AssetCheckEvaluation:
    problems = report_files_problems(files, page)
    metadata = {
        "files": dg.MetadataValue.md(
            "\n".join(f"- {name}: {size:,} bytes" for name, size in sorted(files.items())) or "(none)"
        ),
        "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "(none)"),
    }
    return blocking_evaluation(REPORT_ASSET, REPORT_FILES_CHECK, partition_key, not problems, metadata)
