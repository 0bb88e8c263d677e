"""The checks an analyst relies on: every landing file accounted for, the report's files present."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from pipeline_assets.checks import report_files_problems, schema_evaluation
from pipeline_assets.schemas import RawFxRates
from pipeline_assets.transforms.file_accounting import file_accounting, unaccounted


def _rows(files: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"_source_file": files}, schema={"_source_file": pl.String})


def test_every_landing_record_accounted_for_passes():
    accounting = file_accounting(
        {"a.csv": 3, "b.jsonl": 1, "empty.csv": 0}, _rows(["a.csv"] * 2), _rows(["a.csv", "b.jsonl"])
    )
    assert unaccounted(accounting).is_empty()
    assert accounting.filter(pl.col("_source_file") == "empty.csv")["raw_rows"].item() == 0


def test_a_lost_record_or_an_unlisted_file_is_named():
    lost = file_accounting({"a.csv": 3, "b.csv": 2}, _rows(["a.csv", "a.csv", "b.csv", "b.csv"]), _rows([]))
    assert unaccounted(lost)["_source_file"].to_list() == ["a.csv"]
    invented = file_accounting({"a.csv": 1}, _rows(["a.csv", "ghost.csv"]), _rows([]))
    assert unaccounted(invented)["_source_file"].to_list() == ["ghost.csv"]


def test_report_files_present_non_empty_and_linked():
    page = b'<a href="kpis.csv">k</a> <a href="https://dagster.io">x</a> <a href="#top">t</a>'
    assert report_files_problems({"report.html": len(page), "kpis.csv": 10}, page) == []
    assert report_files_problems({"kpis.csv": 10}, None) == ["report.html is missing"]
    assert report_files_problems({"report.html": len(page), "kpis.csv": 0}, page) == ["kpis.csv is empty"]
    assert report_files_problems({"report.html": len(page)}, page) == [
        "report.html links to kpis.csv, which is missing"
    ]


def test_raw_fx_rates_model_wants_one_positive_rate_per_currency():
    from pandera.errors import SchemaErrors

    day = pl.date(2024, 1, 1)
    good = pl.select(
        date=day,
        currency=pl.Series(["EUR", "GBP"]),
        usd_per_unit=pl.Series([1.1, 1.3]),
        _source_file=pl.lit("fx.csv"),
        _source_line=pl.Series([2, 3], dtype=pl.Int64),
        _ingested_at=pl.lit(None, pl.Datetime("us", "UTC")),
    ).with_columns(pl.col("_ingested_at").fill_null(pl.datetime(2024, 1, 2, time_zone="UTC")))
    RawFxRates.validate(good, lazy=True)
    for bad in (good.with_columns(currency=pl.lit("EUR")), good.with_columns(usd_per_unit=pl.lit(0.0))):
        with pytest.raises(SchemaErrors):
            RawFxRates.validate(bad, lazy=True)


DAYS = ["2024-01-01", "2024-01-02"]


@pytest.mark.integration
def test_a_range_run_records_the_new_checks_per_day_and_an_empty_report_file_fails(tmp_path, monkeypatch):
    from dataclasses import replace

    from pipeline_assets.assets import reports
    from pipeline_assets_tests.conftest import make_pipeline

    with make_pipeline(str(tmp_path)) as pipeline:
        pipeline.generate(DAYS[0], 2, rows_per_day=200)
        result = pipeline.run(DAYS[0], DAYS[1])
        assert result.success
        recorded = {
            (e.asset_key.to_user_string(), e.check_name, e.partition): e for e in result.get_asset_check_evaluations()
        }
        for day in DAYS:
            for asset, check in [("raw_events", "schema"), ("raw_events", "landing_files"),
                                 ("raw_fx_rates", "schema"), ("daily_report", "report_files")]:  # fmt: skip
                assert recorded[asset, check, day].passed, (asset, check, day)
        assert recorded["raw_events", "landing_files", DAYS[0]].metadata["files_unaccounted"].value == 0

        rendered = reports.render_report
        monkeypatch.setattr(
            reports,
            "render_report",
            lambda *a, **k: replace(rendered(*a, **k), files={**rendered(*a, **k).files, "kpis.csv": b""}),
        )
        broken = pipeline.run(DAYS[1])
        assert not broken.success
        failed = [e for e in broken.get_asset_check_evaluations() if not e.passed]
        assert [(e.asset_key.to_user_string(), e.check_name) for e in failed] == [("daily_report", "report_files")]
        assert "kpis.csv is empty" in failed[0].metadata["problems"].value


def _rates(currencies: list[str], rates: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "date": [date(2024, 1, 1)] * len(currencies),
            "currency": currencies,
            "usd_per_unit": rates,
            "_source_file": ["fx.csv"] * len(currencies),
            "_source_line": list(range(2, 2 + len(currencies))),
            "_ingested_at": [datetime(2024, 1, 2, tzinfo=UTC)] * len(currencies),
        },
        schema_overrides={"_ingested_at": pl.Datetime("us", "UTC")},
    )


def _failures(evaluation) -> dict[tuple[str, str], int]:
    table = evaluation.metadata["failures_by_check"].value
    rows = [line.strip("|").split("|") for line in table.splitlines()[2:]]
    return {(column.strip(), check.strip()): int(count) for column, check, count in rows}


@pytest.fixture
def batches_of_two(monkeypatch):
    monkeypatch.setattr("pipeline_assets.checks.AUDIT_BATCH_ROWS", 2)


def _whole_pass_failures(frame: pl.DataFrame) -> dict[tuple[str, str], int]:
    """What Pandera finds validating the whole table at once, counted as the audit counts."""
    from pandera.errors import SchemaErrors

    with pytest.raises(SchemaErrors) as errors:
        RawFxRates.validate(frame, lazy=True)
    cases = errors.value.failure_cases.group_by(pl.col("column").fill_null("<table>"), "check").len()
    return {(column, check): count for column, check, count in cases.iter_rows()}


def test_a_batched_audit_finds_what_a_whole_one_does(batches_of_two):
    """Rows checked two at a time: a repeat across batches, a bad value in a later batch (named
    by its row in the table) and a table-wide fault counted once, not once a batch."""
    frame = _rates(["EUR", "GBP", "JPY", "EUR", "CHF"], [1.1, 1.3, 0.007, 1.1, -1.0])
    evaluation = schema_evaluation("raw_fx_rates", RawFxRates, frame.lazy(), "2024-01-01")
    assert not evaluation.passed and evaluation.metadata["rows_checked"].value == 5
    assert _failures(evaluation) == {("currency", "field_uniqueness"): 2, ("usd_per_unit", "greater_than(0)"): 1}
    assert _failures(evaluation) == _whole_pass_failures(frame)
    assert "CHF" in evaluation.metadata["failing_rows_sample"].value
    # The same bad value at the same place of two batches is two failures, not one.
    twice = _rates(["EUR", "GBP", "JPY", "CHF"], [-1.0, 1.3, -1.0, 1.2])
    evaluation = schema_evaluation("raw_fx_rates", RawFxRates, twice.lazy(), "2024-01-01")
    assert _failures(evaluation) == {("usd_per_unit", "greater_than(0)"): 2} == _whole_pass_failures(twice)

    good = _rates(["EUR", "GBP", "JPY", "CHF", "SEK"], [1.1, 1.3, 0.007, 1.2, 0.1])
    wrong_type = good.with_columns(pl.col("usd_per_unit").cast(pl.String))
    evaluation = schema_evaluation("raw_fx_rates", RawFxRates, wrong_type.lazy(), "2024-01-01")
    assert ("usd_per_unit", "dtype('Float64')") in _failures(evaluation)
    assert _failures(evaluation) == _whole_pass_failures(wrong_type)


def test_a_clean_table_passes_in_batches_and_an_empty_one_is_still_checked(batches_of_two):
    good = _rates(["EUR", "GBP", "JPY", "CHF"], [1.1, 1.3, 0.007, 1.2])
    assert schema_evaluation("raw_fx_rates", RawFxRates, good.lazy(), "2024-01-01").passed
    assert schema_evaluation("raw_fx_rates", RawFxRates, good.head(0).lazy(), "2024-01-01").passed
    no_column = good.head(0).drop("usd_per_unit").lazy()
    assert not schema_evaluation("raw_fx_rates", RawFxRates, no_column, "2024-01-01").passed
