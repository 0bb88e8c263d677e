"""What every daily table asset shares: its decorator settings and its audit-then-publish ending."""

from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any

import dagster as dg
import pandera.polars as pa
import polars as pl

from pipeline_assets.checks import SCHEMA_CHECK, audit, schema_evaluation
from pipeline_assets.metadata import COLUMN_LINEAGE, COLUMN_SCHEMA, model_column_schema, per_partition_table
from pipeline_assets.partitions import daily_partitions, single_run_backfill

OWNERS = ["team:data-platform"]

# Transient storage faults (a reset connection, a throttled request) deserve another try, spread
# out so that concurrent runs do not retry in lockstep. Deterministic failures (a missing day, a
# failed check) raise dg.Failure(allow_retries=False) and fail at once.
IO_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)

# Every daily table is a multi-asset so that it can record one check evaluation per partition of
# a range run (can_subset makes the per-check outputs optional) before publishing anything.
daily_multi_asset = partial(
    dg.multi_asset,
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    can_subset=True,
    retry_policy=IO_RETRY,
)


def table_out(
    group: str,
    description: str,
    model: type[pa.DataFrameModel] | None = None,
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


def day_figures(figures_by_day: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Per-day figures as metadata: scalars for a one-day run, a per-day table for a range."""
    if len(figures_by_day) == 1:
        return dict(next(iter(figures_by_day.values())))
    return {"per_day": per_partition_table(figures_by_day)}


def publish_checked(
    context: dg.AssetExecutionContext,
    tables: Mapping[str, tuple[type[pa.DataFrameModel] | None, dict[str, pl.DataFrame]]],
    extra_evaluations: Sequence[dg.AssetCheckEvaluation] = (),
    metadata: Mapping[str, Mapping[str, Any]] | None = None,
) -> Iterator[Any]:
    """Validate every table's partitions, then yield outputs only if all blocking checks passed."""
    selected_checks = context.selected_asset_check_keys
    evaluations = [
        schema_evaluation(asset, model, frame, partition_key)
        for asset, (model, frames) in tables.items()
        if model is not None and dg.AssetCheckKey(dg.AssetKey(asset), SCHEMA_CHECK) in selected_checks
        for partition_key, frame in frames.items()
    ]
    yield from audit(context, [*evaluations, *extra_evaluations])
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    for asset, (_, frames) in tables.items():
        if asset in selected:
            yield dg.Output(frames, output_name=asset, metadata=(metadata or {}).get(asset, {}))
