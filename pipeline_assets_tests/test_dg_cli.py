"""Dagster's `dg` CLI works from the repository root ([tool.dg] in pyproject.toml), as the README says."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline_assets.generator import generate
from pipeline_assets.settings import REPO_ROOT
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import published_days

pytestmark = pytest.mark.integration
DG = Path(sys.executable).parent / "dg"


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PIPELINE_LANDING_URL": str(tmp_path / "landing"),
        "PIPELINE_WAREHOUSE_URL": str(tmp_path / "warehouse"),
        "PIPELINE_START_DATE": "2024-01-01",
        "PYTHONPATH": str(REPO_ROOT),
    }


def _dg(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(DG), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_dg_checks_the_definitions_and_launches_a_partition_range(tmp_path):
    env = _env(tmp_path)
    checked = _dg(env, "check", "defs")
    assert checked.returncode == 0, checked.stderr
    assert "All definitions loaded successfully" in checked.stdout + checked.stderr

    from datetime import date

    generate(date(2024, 1, 1), 2, 200, env["PIPELINE_LANDING_URL"])
    launched = _dg(env, "launch", "--assets", "*", "--partition-range", "2024-01-01...2024-01-02")
    assert launched.returncode == 0, launched.stderr[-3000:]
    warehouse = Store(env["PIPELINE_WAREHOUSE_URL"])
    for asset in ("raw_events", "clean_events", "rolling_revenue_7d"):
        assert published_days(warehouse, asset) == ["2024-01-01", "2024-01-02"], asset
    assert warehouse.exists("daily_report/date=2024-01-02/report.html")
