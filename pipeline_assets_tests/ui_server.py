"""The project served as a user opens it: `dagster dev` (webserver + daemon) on 127.0.0.1.

A temporary instance (the repo's dagster.yaml: queued runs), landing zone and warehouse,
with a few days of sample landing files ending yesterday (UTC) and the first partition on the
first of them, so the UI's default views show every day and no window reads a day before them.
"""

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipeline_assets.cli import ui_command
from pipeline_assets.settings import REPO_ROOT
from pipeline_assets_tests.cloud_servers import free_port
from pipeline_assets_tests.processes import stop_group

# The data contract's lineage (/work/shared/spec/data-contract.md, "Asset keys"): each asset's inputs.
# The data contract's assets (../shared/spec/data-contract.md), then the search group's (README).
CONTRACT_ASSETS = (
    "raw_events", "raw_fx_rates", "clean_events", "rejected_events",
    "daily_user_metrics", "daily_event_summary", "rolling_revenue_7d", "daily_report",
)  # fmt: skip
CONTRACT_LINEAGE = {
    "raw_events": set(),
    "raw_fx_rates": set(),
    "clean_events": {"raw_events", "raw_fx_rates"},
    "rejected_events": {"raw_events", "raw_fx_rates"},
    "daily_user_metrics": {"clean_events"},
    "daily_event_summary": {"clean_events"},
    "rolling_revenue_7d": {"daily_user_metrics"},
    "daily_report": {
        "raw_events", "clean_events", "rejected_events", "daily_user_metrics", "daily_event_summary",
        "rolling_revenue_7d", "search_themes",
    },
    "search_queries": {"clean_events"},
    "search_query_embeddings": {"search_queries"},
    "search_index": {"search_queries", "search_query_embeddings"},
    "search_themes": {"search_queries", "search_query_embeddings"},
}  # fmt: skip
DAYS = 5
ROWS_PER_DAY = 300
READY_SECONDS = 600  # dagster dev is ready in 25 s on an idle 2-core machine; CI machines are not always idle


@dataclass
class UiServer:
    url: str
    days: list[str]  # the partitions, oldest first
    warehouse: Path
    log: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.loads(response.read())
        assert "errors" not in body, body["errors"]
        return body["data"]

    def wait_for_runs(self, count: int, timeout: float = 180) -> list[dict]:
        """The instance's runs once ``count`` exist and all are over; fails on a failed run."""
        query = "{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }"
        deadline = time.monotonic() + timeout
        while True:
            runs = self.graphql(query)["runsOrError"]["results"]
            done = [r for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
            if len(runs) >= count and len(done) == len(runs):
                failed = [r for r in runs if r["status"] != "SUCCESS"]
                assert not failed, f"{failed}; see {self.log}"
                return runs
            assert time.monotonic() < deadline, f"runs not over after {timeout} s: {runs}; see {self.log}"
            time.sleep(2)


def start(workdir: Path) -> tuple[subprocess.Popen, UiServer]:
    from pipeline_assets.generator import generate

    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    first = yesterday - timedelta(days=DAYS - 1)
    days = [(first + timedelta(days=i)).isoformat() for i in range(DAYS)]
    home, landing, warehouse = workdir / "home", workdir / "landing", workdir / "warehouse"
    home.mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    generate(date.fromisoformat(days[0]), DAYS, ROWS_PER_DAY, str(landing))

    port, log = free_port(), workdir / "dagster-dev.log"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PIPELINE_LANDING_URL": str(landing),
        "PIPELINE_WAREHOUSE_URL": str(warehouse),
        "PIPELINE_START_DATE": days[0],
        # Each day's deadline at 00:00 UTC the next day: every served day, yesterday included, is
        # then past it whatever the hour now (at the default 06:00 a run before 06:00 UTC saw
        # yesterday not due, and the freshness test waited for a verdict the sensor rightly withheld).
        "PIPELINE_FRESHNESS_HOUR_UTC": "0",
        "PYTHONPATH": str(REPO_ROOT),
    }
    # From the repo root, as the README says: the code location is named in pyproject.toml.
    # Its own process group: `dagster dev` started from a script ignores SIGTERM otherwise.
    process = subprocess.Popen(
        ui_command("127.0.0.1", port),
        cwd=REPO_ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = UiServer(f"http://127.0.0.1:{port}", days, warehouse, log)
    _wait_until_loaded(process, server)
    return process, server


def _wait_until_loaded(process: subprocess.Popen, server: UiServer) -> None:
    query = "{ assetNodes { assetKey { path } } }"
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"dagster dev exited; see {server.log}"
        try:
            if server.graphql(query)["assetNodes"]:
                return
        except (OSError, AssertionError, KeyError, json.JSONDecodeError):
            pass
        time.sleep(2)
    raise AssertionError(f"the UI did not load the code location in {READY_SECONDS} s; see {server.log}")


def stop(process: subprocess.Popen) -> None:
    stop_group(process, signal.SIGINT, grace=30)  # dagster dev shuts its children down on SIGINT
