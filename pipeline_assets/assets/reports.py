"""Reports layer: the analyst-facing HTML report of each day."""

import dagster as dg
import polars as pl

from pipeline_assets.assets.common import IO_RETRY, OWNERS, leased_days, step_errors, step_pool
from pipeline_assets.partitions import daily_partitions, single_run_backfill
from pipeline_assets.report import render_report
from pipeline_assets.resources import Warehouse


@dg.asset(
    group_name="reports",
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    retry_policy=IO_RETRY,
    pool=step_pool("daily_report"),
    owners=OWNERS,
    kinds={"html", "svg"},
    ins={
        "daily_user_metrics": dg.AssetIn(),
        "daily_event_summary": dg.AssetIn(),
        "rolling_revenue_7d": dg.AssetIn(),
    },
)
@step_errors()  # the published days are read by Polars' native reader
def daily_report(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    daily_user_metrics: dict[str, pl.LazyFrame],
    daily_event_summary: dict[str, pl.LazyFrame],
    rolling_revenue_7d: dict[str, pl.LazyFrame],
) -> dg.MaterializeResult:
    """An HTML report with plots for the day (KPIs, events and revenue by type, events per user),
    written to ``daily_report/date=D/report.html`` beside its figures as CSV."""
    store = warehouse.store
    written = {}
    with leased_days(context, warehouse):  # two runs of a day never interleave its files
        for key in context.partition_keys:
            report = render_report(
                key,
                daily_user_metrics[key].collect(),
                daily_event_summary[key].collect(),
                rolling_revenue_7d[key].collect(),
            )
            prefix = f"daily_report/date={key}"
            for name, content in report.files.items():
                store.write_bytes(f"{prefix}/{name}", content)
            # The page goes last: once it is visible, every file it links to is already there.
            store.write_bytes(f"{prefix}/report.html", report.html.encode())
            written[key] = store.uri(f"{prefix}/report.html")
    only = next(iter(written.values())) if len(written) == 1 else None
    return dg.MaterializeResult(
        metadata={"dagster/uri": dg.MetadataValue.path(only)} if only else {"reports": dg.MetadataValue.json(written)}
    )
