"""The command line: what it serves and where."""

import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline_assets_tests.cloud_servers import free_port, port_is_open
from pipeline_assets_tests.net import listening_addresses


@pytest.mark.integration
def test_the_ui_listens_on_this_machine_only_by_default(tmp_path):
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "pipeline_assets.cli", "ui", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 90
        while not port_is_open(port) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
        assert port_is_open(port), "the UI did not start"
        assert listening_addresses(port) == {"127.0.0.1"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
