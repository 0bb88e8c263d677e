"""The search quality benchmark runs and its quality figures meet the issue's targets (quality
only: throughput is printed by the benchmark, never asserted)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
def test_recall_and_purity_meet_their_targets():
    command = [sys.executable, str(REPO_ROOT / "benchmarks" / "search_quality.py"), "--no-throughput"]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=True)
    recall = float(re.search(r"recall@5: ([\d.]+)", result.stdout).group(1))
    purity = float(re.search(r"purity ([\d.]+)", result.stdout).group(1))
    assert recall >= 0.9 and purity >= 0.8, result.stdout
    assert re.search(r"install size: .* total [\d.]+ MiB", result.stdout), result.stdout
