"""PIPELINE_LOG_FORMAT=json, for real: a run's log, the daemon's and the code server's are JSON
lines, each process started as production starts it, on a throwaway SQLite instance."""

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from pipeline_assets.generator import generate
from pipeline_assets.settings import REPO_ROOT, PipelineSettings
from pipeline_assets_tests.alert_servers import free_port
from pipeline_assets_tests.processes import start_run, stop_group

pytestmark = pytest.mark.integration

DAY = "2024-01-01"
DAGSTER_KEYS = {"timestamp", "level", "logger", "event"}  # Dagster's JSON log keys, kept by the project's
RUN_KEYS = DAGSTER_KEYS | {"run_id", "job", "step", "asset", "partition"}


@pytest.fixture
def instance_home(tmp_path, monkeypatch) -> Path:
    """A SQLite DAGSTER_HOME with the repository's instance file, and JSON logs chosen."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("PIPELINE_LOG_FORMAT", "json")
    return home


def _json_lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # a line that is not JSON fails here, naming it


def test_a_run_logs_json_lines_with_run_step_asset_partition_and_counts(tmp_path, instance_home):
    settings = PipelineSettings(str(tmp_path / "landing"), str(tmp_path / "warehouse"), start_date=DAY)
    generate(date.fromisoformat(DAY), 1, 60, settings.landing_url)
    run = start_run(settings, str(instance_home), DAY, DAY)
    _, stderr = run.communicate(timeout=600)
    assert run.returncode == 0, stderr[-3000:]
    entries = _json_lines(stderr)  # every line: nothing else writes to a run's stderr
    assert entries, stderr[-3000:]
    assert all(RUN_KEYS <= e.keys() for e in entries)
    assert len({e["run_id"] for e in entries}) == 1 and all(e["job"] == "daily_job" for e in entries)
    materialised = {e["asset"] for e in entries if e.get("event_type") == "ASSET_MATERIALIZATION"}
    assert {"raw_fx_rates", "clean_events", "daily_report"} <= materialised
    assert all(e["partition"] == DAY for e in entries)
    counts = next(e for e in entries if e["asset"] == "clean_events" and "landing_records" in e.get("counts", {}))
    assert counts["step"] == "events" and counts["counts"]["landing_records"] == 60
    assert (
        counts["counts"]["clean_rows"] + counts["counts"]["rejected_rows"] + counts["counts"]["duplicates_removed"]
        == 60
    )


def test_the_code_server_and_the_daemon_log_json_lines(tmp_path, instance_home):
    env = {
        **os.environ,
        "DAGSTER_HOME": str(instance_home),
        "PYTHONPATH": str(REPO_ROOT),
        "PIPELINE_LANDING_URL": str(tmp_path / "landing"),
        "PIPELINE_WAREHOUSE_URL": str(tmp_path / "warehouse"),
    }
    port = free_port()
    serve = [sys.executable, "-m", "pipeline_assets.serve"]
    code_server = [
        *serve,
        "code-server",
        "-m",
        "pipeline_assets.definitions",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with _started(code_server, env) as server_lines:
        server = _read_until(server_lines, "Started Dagster code server", timeout=240)
        daemon = [*serve, "daemon", "--grpc-host", "127.0.0.1", "--grpc-port", str(port)]
        with _started(daemon, env) as daemon_lines:
            daemon_log = _read_until(daemon_lines, "run_failure_alerts", timeout=240)
    for line in server + daemon_log:
        entry = json.loads(line)
        assert DAGSTER_KEYS <= entry.keys(), line
    assert any(json.loads(line)["logger"].startswith("dagster.daemon") for line in daemon_log)
    # the proxy and the gRPC server it starts as a child both log as JSON
    assert any("code proxy server" in json.loads(line)["event"] for line in server)


@contextmanager
def _started(command: list[str], env: dict) -> Iterator["queue.Queue[str | None]"]:
    """``command`` in its own process group; its stdout (where Dagster's loggers write) as lines."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump():
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield lines
    finally:
        stop_group(process)


def _read_until(lines: "queue.Queue[str | None]", text: str, timeout: float) -> list[str]:
    """Every non-empty line up to and including the first containing ``text``."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            pytest.fail(f"the process ended before logging {text!r}; its log:\n" + "\n".join(seen))
        if line.strip():
            seen.append(line)
            if text in line:
                return seen
    pytest.fail(f"no line with {text!r} within {timeout} s; the log so far:\n" + "\n".join(seen))
