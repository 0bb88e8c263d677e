"""The daily report's blocking check: each day's files are present and none is empty.

A check of its own (not inside the report asset) so that it reads back what was actually written,
one evaluation per day of the run, whatever the report's rendering becomes.
"""

import dagster as dg

from pipeline_assets.checks import (
    REPORT_ASSET,
    REPORT_FILES_CHECK,
    check_outputs,
    record_evaluations,
    report_files_evaluation,
)
from pipeline_assets.partitions import daily_partitions
from pipeline_assets.resources import Warehouse


@dg.asset_check(
    asset=REPORT_ASSET,
    name=REPORT_FILES_CHECK,
    blocking=True,
    partitions_def=daily_partitions,
    description="The day's report.html and every file beside it (the figures as CSV) are present and non-empty, "
    "and every file the page links to exists.",
)
def daily_report_files(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    store, evaluations = warehouse.store, []
    for key in context.partition_keys:
        prefix = f"{REPORT_ASSET}/date={key}"
        files = {f.name: f.size for f in store.list_files(prefix)}
        page = store.read_bytes(f"{prefix}/report.html") if "report.html" in files else None
        evaluations.append(report_files_evaluation(key, files, page))
    # One result per day, and the step fails (so the run fails) when any day's files are wrong.
    yield from record_evaluations(context, evaluations)
    yield from check_outputs(context)
