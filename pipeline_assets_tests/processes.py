"""Processes the tests start in groups of their own (range runs they kill or race, UIs, daemons),
and how they stop them."""

import hashlib
import os
import re
import signal
import subprocess
import sys
import time

from pipeline_assets.settings import PipelineSettings
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import published_days

TABLES = ["raw_fx_rates", "raw_events", "clean_events", "rejected_events", "daily_user_metrics",
          "daily_event_summary", "rolling_revenue_7d"]  # fmt: skip
PER_RUN = ["_ingested_at"]  # differs between two runs of the same landing state

_RUN_SCRIPT = """
import sys
import dagster as dg
from pipeline_assets.definitions import build_definitions
from pipeline_assets.settings import PipelineSettings

result = build_definitions(PipelineSettings.from_env()).resolve_job_def("daily_job").execute_in_process(
    instance=dg.DagsterInstance.get(),
    tags={"dagster/asset_partition_range_start": sys.argv[1], "dagster/asset_partition_range_end": sys.argv[2]},
    run_config={"loggers": {"console": {"config": {"log_level": "DEBUG"}}}},
    raise_on_error=False,
)
sys.exit(0 if result.success else 1)
"""


def start_run(settings: PipelineSettings, home: str, first: str, last: str) -> subprocess.Popen:
    """A range run of every asset in a process of its own (its log on stderr), on instance ``home``."""
    env = {
        **os.environ,
        "PIPELINE_LANDING_URL": settings.landing_url,
        "PIPELINE_WAREHOUSE_URL": settings.warehouse_url,
        "PIPELINE_START_DATE": settings.start_date,
        "DAGSTER_HOME": home,
    }
    return subprocess.Popen(
        [sys.executable, "-c", _RUN_SCRIPT, first, last],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_log(process: subprocess.Popen, pattern: str, occurrence: int = 1, timeout: float = 240) -> bool:
    """Read the run's log until the ``occurrence``-th line matching ``pattern``; False if it ended first."""
    seen, expression, deadline = 0, re.compile(pattern), time.monotonic() + timeout
    for line in process.stderr:
        seen += bool(expression.search(line))
        if seen == occurrence or time.monotonic() > deadline:
            break
    return seen == occurrence


def content_hashes(store: Store) -> dict[tuple[str, str], str]:
    """A digest of every visible partition's rows; reading one that is incomplete fails here."""
    hashes = {}
    for asset in TABLES:
        for day in published_days(store, asset):
            files = store.list_files(f"{asset}/date={day}", suffixes=(".parquet",))
            assert [f.name for f in files] == ["data.parquet"], f"{asset} {day}: {files}"
            rows = store.scan_parquet([files[0].key]).collect().drop(PER_RUN, strict=False)
            hashes[asset, day] = hashlib.sha256(rows.write_csv().encode()).hexdigest()
    return hashes


def stop_group(process: subprocess.Popen, first: int = signal.SIGTERM, grace: float = 15) -> None:
    """Send ``first`` to the process group, then SIGKILL what is left of it (run workers included)."""
    for sig, wait in ((first, grace), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        try:  # the leader is gone; its run workers may not be
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return
