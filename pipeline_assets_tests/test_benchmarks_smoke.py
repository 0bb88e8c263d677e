"""The benchmarks run end to end at toy sizes, and the generator knobs they use keep their word.

Timings are printed by the benchmarks, never asserted here: the smoke run checks only that the
harness works (exit 0, which includes its check that every variant produced the same figures)
and that it prints every ratio line.
"""

import hashlib
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipeline_assets.generator import FIELD_DEFECTS, FORMAT_DEFECTS, generate
from pipeline_assets.transforms.clean import type_fx_rates
from pipeline_assets.transforms.ingest import parse_landing_file
from pipeline_assets_tests.raw_day import cleaned

REPO_ROOT = Path(__file__).resolve().parent.parent
RATIO_LINES = (
    "ratio a/b execution (project / polars floor): ",
    "ratio a+/b execution (whole graph / polars floor): ",
    "ratio c/a whole-process wall (pandas / project): ",
    "ratio peak RSS (project / pandas): ",
    "ratio ingest defective/clean: ",
    "ratio range/floor whole-process wall: ",
    "ratio range/floor, the range run of the whole graph: ",
    "ratio peak RSS 2-day/1-day range run: ",
)
# sha256 over (key, bytes) of every file of generate(2024-03-01, 2 days, 500 rows, seed 11, 3 per kind),
# taken when the generator's valid events became user sessions (sample_sessions); the same under
# any PYTHONHASHSEED. A change of the sample data is a deliberate change of this digest.
DEFAULT_OUTPUT_DIGEST = "cab422ad2495824334cc45f58a46db94351556c4993f56cebde8cd7107acb7e6"


@pytest.mark.integration
def test_smoke_run_prints_every_ratio(tmp_path):
    command = [sys.executable, str(REPO_ROOT / "benchmarks" / "run.py"), "--smoke", "--workdir", str(tmp_path)]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    lines = result.stdout.splitlines()
    for prefix in RATIO_LINES:
        assert any(line.startswith(prefix) for line in lines), f"no line starting {prefix!r} in:\n{result.stdout}"
    # The profiling tool follows the step's path too (it imports what the step calls).
    landing = next(tmp_path.glob("*r-seed7/landing"))
    profile = [sys.executable, str(REPO_ROOT / "benchmarks" / "profile_events.py"), "--landing", str(landing)]
    result = subprocess.run([*profile, "--repeat", "1"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "clean_day" in result.stdout, result.stderr[-4000:]


def test_default_output_is_unchanged(tmp_path):
    generate(date(2024, 3, 1), 2, 500, str(tmp_path), seed=11, defects_per_kind=3)
    digest = hashlib.sha256()
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        digest.update(path.relative_to(tmp_path).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    assert digest.hexdigest() == DEFAULT_OUTPUT_DIGEST


@pytest.mark.parametrize(
    "knobs",
    [
        {"duplicate_share": 0.01, "invalid_share": 0.005, "format_defects": False},  # the reference day
        {"duplicate_share": 0.01, "invalid_share": 0.005, "unparsable_share": 0.01},  # the ingestion benchmark's
        {"duplicate_share": 0.0, "invalid_share": 0.0, "format_defects": False},  # nothing but valid records
    ],
)
def test_share_knobs_give_manifest_counts_the_pipeline_reproduces(tmp_path, knobs):
    rows = 2_000
    manifest = generate(date(2024, 5, 1), 1, rows, str(tmp_path), seed=5, **knobs)
    assert manifest["options"] == {"unparsable_share": None, "format_defects": True, **knobs}
    day = manifest["by_day"][0]
    defects = day["defects"]
    assert set(defects) == {*FIELD_DEFECTS, *FORMAT_DEFECTS, "duplicate"}
    assert defects["duplicate"] == day["expected_duplicates"] == round(rows * knobs["duplicate_share"])
    assert sum(defects[k] for k in FIELD_DEFECTS) == round(rows * knobs["invalid_share"])
    assert sum(defects[k] for k in FORMAT_DEFECTS) == round(rows * knobs.get("unparsable_share", 0))
    assert (
        day["landing_records"] == rows == day["expected_clean"] + day["expected_rejected"] + day["expected_duplicates"]
    )

    parsed = [parse_landing_file(k, (tmp_path / k).read_bytes()) for k in day["files"] if k.startswith("events/")]
    fx_key = next(k for k in day["files"] if k.startswith("fx_rates/"))
    rates, problems = type_fx_rates(parse_landing_file(fx_key, (tmp_path / fx_key).read_bytes()).records)
    assert problems == []
    unparsable = pl.concat([p.unparsable for p in parsed])
    assert sum(p.record_count for p in parsed) == rows
    assert unparsable.height == sum(defects[k] for k in FORMAT_DEFECTS)
    result = cleaned([p.records for p in parsed], unparsable, rates, date(2024, 5, 1))
    assert (result.clean.height, result.rejected.height, result.duplicates_removed) == (
        day["expected_clean"], day["expected_rejected"], day["expected_duplicates"],
    )  # fmt: skip


def test_shares_are_checked(tmp_path):
    with pytest.raises(ValueError, match="duplicate_share must be at least 0 and below 1"):
        generate(date(2024, 5, 1), 1, 100, str(tmp_path), duplicate_share=1.5)
    with pytest.raises(ValueError, match="unparsable_share needs format_defects=True"):
        generate(date(2024, 5, 1), 1, 100, str(tmp_path), unparsable_share=0.1, format_defects=False)
