"""The command line: what it serves and where."""

import os
import subprocess
import sys
import time

import pytest

from pipeline_assets_tests.cloud_servers import free_port, port_is_open
from pipeline_assets_tests.net import listening_addresses
from pipeline_assets_tests.processes import stop_group


@pytest.mark.integration
def test_the_ui_listens_on_this_machine_only_by_default_and_starts_without_warnings(tmp_path):
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "pipeline_assets.cli", "ui", "--port", str(port)]
    log = (tmp_path / "ui.log").open("w")
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not port_is_open(port) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
        assert port_is_open(port), "the UI did not start"
        assert listening_addresses(port) == {"127.0.0.1"}
        started = (tmp_path / "ui.log").read_text()
        # Neither "dagster.yaml ... will not be used" nor "use dg dev instead": both would mislead.
        assert "Warning" not in started and "WARNING" not in started, started
    finally:
        stop_group(process)


def test_the_demo_week_ends_yesterday_so_the_uis_default_views_show_it():
    from datetime import date

    from pipeline_assets.cli import demo_days

    first_partition, today = date(2024, 1, 1), date(2026, 11, 22)
    assert demo_days(7, None, first_partition, today) == (date(2026, 11, 15), date(2026, 11, 21))
    assert demo_days(3, date(2024, 1, 1), first_partition, today) == (date(2024, 1, 1), date(2024, 1, 3))
    with pytest.raises(ValueError, match="before the first partition"):
        demo_days(7, date(2023, 12, 31), first_partition, today)
    with pytest.raises(ValueError, match="not over yet"):
        demo_days(2, date(2026, 11, 21), first_partition, today)


@pytest.mark.integration
def test_the_demo_materialises_the_days_ending_yesterday_and_they_balance(tmp_path):
    """The README's main command, as a new user runs it (no PIPELINE_START_DATE): every day of
    the week ending yesterday published, the windows of its first days included."""
    from datetime import UTC, datetime, timedelta

    env = {key: value for key, value in os.environ.items() if key != "PIPELINE_START_DATE"}
    env |= {
        "DAGSTER_HOME": str(tmp_path / "home"),
        "PIPELINE_LANDING_URL": str(tmp_path / "landing"),
        "PIPELINE_WAREHOUSE_URL": str(tmp_path / "warehouse"),
    }
    command = [sys.executable, "-m", "pipeline_assets.cli", "demo", "--days", "3", "--rows-per-day", "300"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    days = [(yesterday - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    for day in days:
        assert f"| {day} | 300 |" in result.stdout and "False" not in result.stdout, result.stdout
        for asset in ("rolling_revenue_7d", "search_themes", "daily_report"):
            assert (tmp_path / "warehouse" / asset / f"date={day}").is_dir(), (asset, day)
    # The instance is disposed at exit: its SQLite files are whole, no write-ahead log left beside them.
    left_open = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "home").rglob("*.db-*"))
    assert not left_open, left_open
