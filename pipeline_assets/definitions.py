"""The code location: what the graph is made of, and where it reads and writes."""

import gc

import dagster as dg

from pipeline_assets.alerts import ALERTS_RESOURCE, failure_alerts_from_env, run_failure_alerts
from pipeline_assets.assets.aggregated import daily_event_summary, daily_user_metrics, rolling_revenue_7d
from pipeline_assets.assets.events import events
from pipeline_assets.assets.raw import raw_fx_rates
from pipeline_assets.assets.report_check import daily_report_files
from pipeline_assets.assets.reports import daily_report
from pipeline_assets.catalog import catalogued
from pipeline_assets.freshness import freshness_checks, freshness_sensor
from pipeline_assets.io_manager import ParquetWarehouseIOManager
from pipeline_assets.jobs import daily_job
from pipeline_assets.log_format import run_loggers
from pipeline_assets.partitions import daily_partitions
from pipeline_assets.resources import LandingZone, Warehouse
from pipeline_assets.schedules import daily_schedule
from pipeline_assets.search.assets import embed_search_queries, search_queries, search_themes
from pipeline_assets.search.resource import SearchEmbeddings
from pipeline_assets.sensors import landing_sensor
from pipeline_assets.settings import PipelineSettings


def build_definitions(settings: PipelineSettings) -> dg.Definitions:
    if settings.start_date != daily_partitions.start.date().isoformat():
        # The partitions are fixed when the code location loads, from PIPELINE_START_DATE.
        raise ValueError(
            f"start date {settings.start_date} differs from the partitions' "
            f"{daily_partitions.start.date()} (set PIPELINE_START_DATE before loading the code location)"
        )
    return dg.Definitions(
        assets=catalogued(
            [
                raw_fx_rates,
                events,
                daily_user_metrics,
                daily_event_summary,
                rolling_revenue_7d,
                daily_report,
                search_queries,
                embed_search_queries,
                search_themes,
            ]
        ),
        asset_checks=[daily_report_files, freshness_checks],
        jobs=[daily_job],
        schedules=[daily_schedule],
        sensors=[landing_sensor, freshness_sensor, run_failure_alerts],
        resources={
            "io_manager": ParquetWarehouseIOManager(warehouse_url=settings.warehouse_url),
            "warehouse": Warehouse(warehouse_url=settings.warehouse_url),
            "landing": LandingZone(landing_url=settings.landing_url),
            ALERTS_RESOURCE: failure_alerts_from_env(),  # channels from PIPELINE_ALERT_* / SLACK_BOT_TOKEN
            "search_embedder": SearchEmbeddings.from_env(),
        },
        loggers=run_loggers(),  # JSON lines when PIPELINE_LOG_FORMAT=json, else Dagster's console logger
        # In-process: a run is one process that loads the code once. The multiprocess default
        # starts a process per step that re-imports dagster, pandera and polars (8-10 s each
        # here), for no parallelism worth having on a linear graph; see README for the figures.
        executor=dg.in_process_executor,
    )


defs = build_definitions(PipelineSettings.from_env())
# What the code location's imports and Definitions made lives as long as the process: kept out of
# the garbage collector's passes, which otherwise walk it on every full collection and at exit.
gc.freeze()
