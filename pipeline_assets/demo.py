"""The demo's run and its summary: one range run on the instance, then a per-day table."""

import dagster as dg
import polars as pl

from pipeline_assets.checks import RECONCILIATION_CHECK
from pipeline_assets.metadata import markdown_table
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import partition_file

PROGRESS_LOG_LEVEL = "INFO"


def run_range(
    defs: dg.Definitions,
    start: str,
    end: str,
    instance: dg.DagsterInstance,
    assets: list[str] | None = None,
) -> dg.ExecuteInProcessResult:
    """Every asset (or only ``assets``) for ``start``...``end`` as one run, exactly as
    ``--partition-range`` launches it."""
    return defs.resolve_job_def("daily_job").execute_in_process(
        instance=instance,
        asset_selection=None if assets is None else [dg.AssetKey(asset) for asset in assets],
        tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end},
        run_config={"loggers": {"console": {"config": {"log_level": PROGRESS_LOG_LEVEL}}}},
        raise_on_error=False,
    )


def summary_table(result: dg.ExecuteInProcessResult, warehouse_url: str) -> pl.DataFrame:
    """records, clean, rejected, duplicates (from the reconciliation checks) and revenue per day."""
    counts = [
        {"date": e.partition, **{k: v.value for k, v in e.metadata.items()}}
        for e in result.get_asset_check_evaluations()
        if e.check_name == RECONCILIATION_CHECK
    ]
    if not counts:
        return pl.DataFrame({"date": []})
    table = pl.DataFrame(counts).select(
        "date",
        pl.col("landing_records").alias("records"),
        pl.col("clean_rows").alias("clean"),
        pl.col("rejected_rows").alias("rejected"),
        pl.col("duplicates_removed").alias("duplicates"),
        "balanced",
    )
    store = Store(warehouse_url)
    revenue = []
    for day in table["date"]:
        key = partition_file("daily_event_summary", day)
        if store.exists(key):
            revenue.append(store.scan_parquet([key]).select(pl.col("revenue_usd").sum()).collect().item())
        else:
            revenue.append(None)
    return table.with_columns(pl.Series("revenue_usd", revenue, dtype=pl.Float64)).sort("date")


def format_table(table: pl.DataFrame) -> str:
    """The summary as a Markdown table, counts with thousands separators, revenue to the cent."""
    shown = table.with_columns(
        pl.col(pl.Int64).map_elements(lambda v: f"{v:,}", return_dtype=pl.String),
        pl.col(pl.Float64).map_elements(lambda v: f"{v:,.2f}", return_dtype=pl.String),
    )
    return markdown_table(shown, limit=shown.height)
