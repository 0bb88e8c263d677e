"""Aggregated layer: per-user and per-type daily figures, and the rolling 7-day window."""

from datetime import date, timedelta

import dagster as dg
import polars as pl

from pipeline_assets.assets.common import WriteAuditPublish, daily_multi_asset, table_out
from pipeline_assets.checks import schema_check_spec
from pipeline_assets.metadata import column_lineage
from pipeline_assets.partitions import daily_partitions
from pipeline_assets.resources import Warehouse
from pipeline_assets.schemas import DailyEventSummary, DailyUserMetrics, RollingRevenue7d
from pipeline_assets.transforms import aggregates
from pipeline_assets.transforms.aggregates import ROLLING_WINDOW_DAYS
from pipeline_assets.warehouse import scan_partitions

CLEAN = "clean_events"


@daily_multi_asset(
    outs={
        "daily_user_metrics": table_out(
            "aggregated",
            "One row per (date, user_id): events, sessions, purchases, revenue_usd, first and last event_ts.",
            model=DailyUserMetrics,
            lineage=column_lineage(
                {
                    "date": {CLEAN: ["date"]},
                    "user_id": {CLEAN: ["user_id"]},
                    "events": {CLEAN: ["event_id"]},
                    "sessions": {CLEAN: ["session_id"]},
                    "purchases": {CLEAN: ["event_type"]},
                    "revenue_usd": {CLEAN: ["amount_usd"]},
                    "first_event_ts": {CLEAN: ["event_ts"]},
                    "last_event_ts": {CLEAN: ["event_ts"]},
                }
            ),
        )
    },
    ins={CLEAN: dg.AssetIn()},
    check_specs=[schema_check_spec("daily_user_metrics", DailyUserMetrics)],
)
def daily_user_metrics(context: dg.AssetExecutionContext, warehouse: Warehouse, clean_events: dict[str, pl.LazyFrame]):
    with WriteAuditPublish(context, warehouse, {"daily_user_metrics": DailyUserMetrics}) as wap:
        for key in context.partition_keys:
            frame = aggregates.daily_user_metrics(clean_events[key]).collect()
            yield from wap.day(key, {"daily_user_metrics": frame})
        yield from wap.outputs()


@daily_multi_asset(
    outs={
        "daily_event_summary": table_out(
            "aggregated",
            "One row per (date, event_type) present that day: events, distinct users, revenue_usd.",
            model=DailyEventSummary,
            lineage=column_lineage(
                {
                    "date": {CLEAN: ["date"]},
                    "event_type": {CLEAN: ["event_type"]},
                    "events": {CLEAN: ["event_id"]},
                    "users": {CLEAN: ["user_id"]},
                    "revenue_usd": {CLEAN: ["amount_usd"]},
                }
            ),
        )
    },
    ins={CLEAN: dg.AssetIn()},
    check_specs=[schema_check_spec("daily_event_summary", DailyEventSummary)],
)
def daily_event_summary(context: dg.AssetExecutionContext, warehouse: Warehouse, clean_events: dict[str, pl.LazyFrame]):
    with WriteAuditPublish(context, warehouse, {"daily_event_summary": DailyEventSummary}) as wap:
        for key in context.partition_keys:
            frame = aggregates.daily_event_summary(clean_events[key]).collect()
            yield from wap.day(key, {"daily_event_summary": frame})
        yield from wap.outputs()


@daily_multi_asset(
    outs={
        "rolling_revenue_7d": table_out(
            "aggregated",
            "One row per date: revenue_usd_7d and active_users_7d (distinct users) over the 7 days ending "
            "that date. Days before the start date count as empty; a missing later day fails the run.",
            model=RollingRevenue7d,
            lineage=column_lineage(
                {
                    "date": {"daily_user_metrics": ["date"]},
                    "revenue_usd_7d": {"daily_user_metrics": ["revenue_usd"]},
                    "active_users_7d": {"daily_user_metrics": ["user_id"]},
                    "window_start": {"daily_user_metrics": ["date"]},
                    "days_in_window": {"daily_user_metrics": ["date"]},
                }
            ),
        )
    },
    # The dependency is declared day to day, and the six earlier days of each window are read from
    # the warehouse here. Declared as a 7-day TimeWindowPartitionMapping, every backfill from the
    # UI would also plan the six days *after* its range (their windows include it), and those days
    # fail by contract when their own data does not exist yet, taking the whole run down with them.
    ins={"daily_user_metrics": dg.AssetIn()},
    check_specs=[schema_check_spec("rolling_revenue_7d", RollingRevenue7d)],
)
def rolling_revenue_7d(
    context: dg.AssetExecutionContext, warehouse: Warehouse, daily_user_metrics: dict[str, pl.LazyFrame]
):
    windows = {key: window_days(key) for key in context.partition_keys}
    earlier = sorted({d for days in windows.values() for d in days} - set(daily_user_metrics))
    metrics = {**daily_user_metrics, **scan_partitions(warehouse.store, "daily_user_metrics", earlier)}
    with WriteAuditPublish(context, warehouse, {"rolling_revenue_7d": RollingRevenue7d}) as wap:
        for key, window in windows.items():
            window_rows = pl.concat([metrics[d] for d in window])
            frame = aggregates.rolling_revenue_7d(window_rows, date.fromisoformat(key), len(window)).collect()
            yield from wap.day(key, {"rolling_revenue_7d": frame})
        yield from wap.outputs()


def window_days(partition_key: str) -> list[str]:
    """The 7 days ending ``partition_key``, less those before the start date (they count as empty)."""
    day, first_day = date.fromisoformat(partition_key), daily_partitions.start.date()
    days = (day - timedelta(days=back) for back in range(ROLLING_WINDOW_DAYS))
    return sorted(d.isoformat() for d in days if d >= first_day)
