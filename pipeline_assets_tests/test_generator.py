"""generate: sample landing data laid out per the contract, with a manifest the pipeline must reproduce."""

import json
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipeline_assets.generator import FIELD_DEFECTS, FORMAT_DEFECTS, generate
from pipeline_assets.transforms.clean import type_fx_rates
from pipeline_assets.transforms.ingest import parse_landing_file
from pipeline_assets.transforms.landing_file import ParsedFile
from pipeline_assets_tests.raw_day import cleaned

START, DAYS, ROWS, PER_KIND = date(2024, 3, 1), 2, 60, 2
EVENT_FILE = re.compile(r"events/date=(\d{4}-\d{2}-\d{2})/[^/]+\.(csv|csv\.gz|jsonl|jsonl\.gz)")
FX_FILE = re.compile(r"fx_rates/date=(\d{4}-\d{2}-\d{2})/[^/]+\.csv")


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("landing")
    return root, generate(START, DAYS, ROWS, str(root), seed=11, defects_per_kind=PER_KIND)


def parsed_events(root: Path, day: dict) -> list[ParsedFile]:
    return [parse_landing_file(key, (root / key).read_bytes()) for key in day["files"] if EVENT_FILE.fullmatch(key)]


def test_files_are_laid_out_per_the_contract(landing):
    root, manifest = landing
    keys = set(files_under(root))
    assert keys == {"manifest.json"} | {key for day in manifest["by_day"] for key in day["files"]}
    assert [day["date"] for day in manifest["by_day"]] == ["2024-03-01", "2024-03-02"]
    for day in manifest["by_day"]:
        events = [key for key in day["files"] if EVENT_FILE.fullmatch(key)]
        rates = [key for key in day["files"] if FX_FILE.fullmatch(key)]
        assert len(events) == 3 and len(rates) == 1 and len(day["files"]) == 4
        assert {EVENT_FILE.fullmatch(key)[2] for key in events} == {"csv", "csv.gz", "jsonl"}
        assert {(EVENT_FILE.fullmatch(k) or FX_FILE.fullmatch(k))[1] for k in day["files"]} == {day["date"]}


def test_manifest_file_matches_the_returned_manifest(landing):
    root, manifest = landing
    assert json.loads((root / "manifest.json").read_text()) == manifest
    assert (manifest["start"], manifest["days"], manifest["rows_per_day"], manifest["seed"]) == (
        "2024-03-01",
        2,
        60,
        11,
    )


def test_manifest_counts_are_consistent(landing):
    _, manifest = landing
    for day in manifest["by_day"]:
        defects = day["defects"]
        assert set(defects) == {*FIELD_DEFECTS, *FORMAT_DEFECTS, "duplicate"}
        assert set(defects.values()) == {PER_KIND}
        assert day["landing_records"] == day["expected_clean"] + day["expected_rejected"] + day["expected_duplicates"]
        assert day["landing_records"] == ROWS
        assert day["expected_duplicates"] == defects["duplicate"]
        assert day["expected_rejected"] == PER_KIND * (len(FIELD_DEFECTS) + len(FORMAT_DEFECTS))
        assert day["expected_clean"] == ROWS - PER_KIND * (len(FIELD_DEFECTS) + len(FORMAT_DEFECTS) + 1)


def test_parsing_the_files_gives_the_manifest_record_count(landing):
    root, manifest = landing
    for day in manifest["by_day"]:
        parsed = parsed_events(root, day)
        assert sum(p.record_count for p in parsed) == day["landing_records"]
        assert sum(p.records.height + p.unparsable.height for p in parsed) == day["landing_records"]
        reasons = pl.concat([p.unparsable for p in parsed])["reject_reason"].to_list()
        assert len(reasons) == PER_KIND * len(FORMAT_DEFECTS)
        assert "campaign" in {c for p in parsed for c in p.landed_columns}  # the drifted extra column


def test_clean_day_reproduces_the_manifest(landing):
    root, manifest = landing
    for day in manifest["by_day"]:
        parsed = parsed_events(root, day)
        fx_key = next(key for key in day["files"] if FX_FILE.fullmatch(key))
        rates, problems = type_fx_rates(parse_landing_file(fx_key, (root / fx_key).read_bytes()).records)
        assert problems == []
        unparsable = pl.concat([p.unparsable for p in parsed])
        result = cleaned([p.records for p in parsed], unparsable, rates, date.fromisoformat(day["date"]))
        assert (result.clean.height, result.rejected.height, result.duplicates_removed) == (
            day["expected_clean"], day["expected_rejected"], day["expected_duplicates"],
        )  # fmt: skip


def test_same_seed_gives_the_same_bytes(landing, tmp_path):
    root, manifest = landing
    again = generate(START, DAYS, ROWS, str(tmp_path / "again"), seed=11, defects_per_kind=PER_KIND)
    assert again == manifest
    assert files_under(tmp_path / "again") == files_under(root)


def test_another_seed_gives_other_events(landing, tmp_path):
    root, _ = landing
    generate(START, DAYS, ROWS, str(tmp_path / "other"), seed=12, defects_per_kind=PER_KIND)
    mine, other = files_under(root), files_under(tmp_path / "other")
    assert mine.keys() == other.keys()
    key = "events/date=2024-03-01/part-002.jsonl"
    assert mine[key] != other[key]


def test_too_few_rows_for_every_defect_kind(tmp_path):
    with pytest.raises(ValueError, match="rows_per_day must be at least 39"):
        generate(START, 1, 38, str(tmp_path), defects_per_kind=PER_KIND)
