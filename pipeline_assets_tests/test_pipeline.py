"""End to end on the embedded default: generated landing data through every asset, as range runs."""

import polars as pl
import pytest

from pipeline_assets.generator import FIELD_DEFECTS, FORMAT_DEFECTS
from pipeline_assets_tests import oracle
from pipeline_assets_tests.conftest import STORES, make_pipeline, store_root

pytestmark = pytest.mark.integration

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]
ASSETS = ["raw_fx_rates", "raw_events", "clean_events", "rejected_events", "daily_user_metrics",
          "daily_event_summary", "rolling_revenue_7d"]  # fmt: skip

SECTIONS = (
    "Events by type", "Activity by hour (UTC)", "Funnel", "Revenue by currency", "Revenue by country",
    "Top users by revenue", "Purchase-amount outliers (IQR rule)", "Rejected records by reason",
)  # fmt: skip
# The reject reason each injected defect kind must produce (as the contract states the rule).
REASON_BY_DEFECT = {
    "missing_event_id": "event_id is missing",
    "user_id_not_integer": "user_id 'abc' is not an integer",
    "user_id_not_positive": "user_id 0 is not > 0",
    "missing_session_id": "session_id is missing",
    "unknown_event_type": "event_type 'purchased' is not one of",
    "timestamp_not_iso": "is not an ISO-8601 timestamp",
    "timestamp_without_offset": "has no UTC offset",
    "timestamp_on_another_day": "not on the partition day",
    "purchase_without_amount": "amount is missing for a purchase",
    "purchase_amount_not_positive": "is not > 0",
    "purchase_without_currency": "currency is missing for a purchase",
    "currency_without_rate": "currency 'CHF' has no fx rate",
    "invalid_country": "country 'usa' is not an ISO-3166 alpha-2 code",
    "invalid_device": "device 'fridge' is not one of",
    "wrong_field_count": "wrong field count",
    "not_utf8": "record is not valid UTF-8",
    "broken_json": "broken JSON",
    "json_not_an_object": "not an object",
}


@pytest.fixture(scope="module", params=STORES)
def three_days(request, tmp_path_factory):
    """One range run over three generated days per store, shared by the read-only tests below."""
    with (
        store_root(request, request.param, tmp_path_factory.mktemp("three_days")) as root,
        make_pipeline(root) as pipeline,
    ):
        manifest = pipeline.generate(DAYS[0], len(DAYS), rows_per_day=600)
        result = pipeline.run(DAYS[0], DAYS[-1])
        assert result.success
        yield pipeline, manifest, result


def test_every_asset_is_published_per_day(three_days):
    pipeline, _, _ = three_days
    for asset in ASSETS:
        assert pipeline.files(asset) == [f"{asset}/date={day}/data.parquet" for day in DAYS]
    reports = pipeline.files("daily_report")
    assert {f"daily_report/date={day}/report.html" for day in DAYS} <= set(reports)


def test_reconciliation_holds_and_matches_the_manifest(three_days):
    pipeline, manifest, result = three_days
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name, e.partition): e for e in result.get_asset_check_evaluations()
    }
    assert all(e.passed for e in evaluations.values())
    for day in manifest["by_day"]:
        counts = {k: v.value for k, v in evaluations[("clean_events", "reconciliation", day["date"])].metadata.items()}
        assert counts == {
            "landing_records": day["landing_records"],
            "clean_rows": day["expected_clean"],
            "rejected_rows": day["expected_rejected"],
            "duplicates_removed": day["expected_duplicates"],
            "balanced": True,
        }
        assert pipeline.table("clean_events", day["date"]).height == day["expected_clean"]
        assert pipeline.table("rejected_events", day["date"]).height == day["expected_rejected"]


def test_tables_match_an_independent_reading_of_the_contract(three_days):
    pipeline, _, _ = three_days
    expected = {day: oracle.expected_day(pipeline.landing, day) for day in DAYS}
    for day in DAYS:
        want = expected[day]
        clean = pipeline.table("clean_events", day)
        assert clean.height == want["clean"]
        assert pipeline.table("rejected_events", day).height == want["rejected"]
        assert clean["event_id"].n_unique() == clean.height

        metrics = pipeline.table("daily_user_metrics", day)
        got_metrics = {
            r["user_id"]: (r["events"], r["sessions"], r["purchases"], round(r["revenue_usd"], 6),
                           r["first_event_ts"], r["last_event_ts"])
            for r in metrics.iter_rows(named=True)
        }  # fmt: skip
        assert got_metrics == want["user_metrics"]

        summary = pipeline.table("daily_event_summary", day)
        got_summary = {
            r["event_type"]: (r["events"], r["users"], round(r["revenue_usd"], 6))
            for r in summary.iter_rows(named=True)
        }
        assert got_summary == want["event_summary"]

        rolling = pipeline.table("rolling_revenue_7d", day).row(0, named=True)
        revenue, users = oracle.expected_rolling(expected, day, DAYS[0])
        assert rolling["revenue_usd_7d"] == pytest.approx(revenue)
        assert rolling["active_users_7d"] == users


@pytest.mark.parametrize("defect", [*FIELD_DEFECTS, *FORMAT_DEFECTS])
def test_each_defect_kind_is_rejected_with_its_reason(three_days, defect):
    pipeline, manifest, _ = three_days
    for day in manifest["by_day"]:
        rejected = pipeline.table("rejected_events", day["date"])
        matching = rejected.filter(pl.col("reject_reason").str.contains(REASON_BY_DEFECT[defect], literal=True))
        assert matching.height >= day["defects"][defect], rejected["reject_reason"].to_list()
        assert matching["raw_record"].str.len_chars().min() > 0
        assert matching["_source_line"].min() >= 2 or defect in ("broken_json", "json_not_an_object")


def test_extra_columns_are_kept_in_raw_events(three_days):
    pipeline, _, _ = three_days
    raw = pipeline.table("raw_events", DAYS[0])
    # In one JSON column, so that the table's schema does not change with the day's drift.
    campaign = raw["_extra_columns"].str.json_path_match("$.campaign")
    drifted_file = raw["_source_file"].str.ends_with("part-001.csv.gz")
    assert drifted_file.any() and campaign.filter(drifted_file).null_count() == 0
    assert campaign.filter(~drifted_file).null_count() == (~drifted_file).sum()
    assert raw.columns[-4:] == ["_extra_columns", "_source_file", "_source_line", "_ingested_at"]


def test_report_has_every_section_and_typed_figures(three_days):
    pipeline, manifest, result = three_days
    html = pipeline.warehouse.read_bytes(f"daily_report/date={DAYS[1]}/report.html").decode()
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in html, section
    assert html.count("<svg") == 8 and "<script" not in html

    def figures(name: str, day: str = DAYS[1]) -> pl.DataFrame:
        return pl.read_csv(pipeline.warehouse.read_bytes(f"daily_report/date={day}/{name}.csv"))

    headline = figures("headline").row(0, named=True)
    expected = next(d for d in manifest["by_day"] if d["date"] == DAYS[1])
    clean = pipeline.table("clean_events", DAYS[1])
    assert {k: headline[k] for k in ("events", "landed_records", "rejected_records", "duplicates_removed")} == {
        "events": clean.height, "landed_records": expected["landing_records"],
        "rejected_records": expected["expected_rejected"], "duplicates_removed": expected["expected_duplicates"],
    }  # fmt: skip
    assert headline["sessions"] == clean["session_id"].n_unique() and headline["days_in_window"] == 2
    assert "<h2>7-day trend (2 of 7 days)</h2>" in html
    assert f"{headline['revenue_usd']:.2f}" == f"{round(clean['amount_usd'].sum(), 2):.2f}"
    assert figures("headline", DAYS[0])["days_in_window"].item() == 1
    assert (
        "7-day trend (1 of 7 days)"
        in pipeline.warehouse.read_bytes(f"daily_report/date={DAYS[0]}/report.html").decode()
    )
    # Typed as written: counts read back as integers, never as floats.
    for name, count in [("headline", "events"), ("funnel", "sessions"), ("activity_by_hour", "events"),
                        ("events_by_type", "users"), ("rejected_by_reason", "records"), ("top_users", "purchases")]:  # fmt: skip
        assert figures(name).schema[count] == pl.Int64, name
    report_events = [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "daily_report"
    ]
    metadata = {e.partition: e.materialization.metadata for e in report_events}
    assert metadata[DAYS[1]]["dagster/uri"].value.endswith(f"daily_report/date={DAYS[1]}/report.html")
    assert "| Landed records |" in metadata[DAYS[1]]["report"].value
    assert "(data:image/png;base64," in metadata[DAYS[1]]["report"].value


def test_rerunning_a_day_gives_identical_data(pipeline):
    pipeline.generate(DAYS[0], 2, rows_per_day=300)
    assert pipeline.run(DAYS[0], DAYS[1]).success
    before = {asset: pipeline.table(asset, DAYS[1]) for asset in ASSETS}
    assert pipeline.run(DAYS[1]).success
    for asset, frame in before.items():
        after = pipeline.table(asset, DAYS[1])
        if asset.startswith("raw_"):  # _ingested_at is, by definition, the time of the run
            frame, after = frame.drop("_ingested_at"), after.drop("_ingested_at")
        assert after.equals(frame), asset


def test_a_day_without_landing_files_fails_and_writes_nothing(pipeline):
    pipeline.generate(DAYS[0], 1, rows_per_day=100)
    result = pipeline.run(DAYS[0], DAYS[1])
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message
    assert "2024-01-02" in message and f"{pipeline.settings.landing_url}/events/date=2024-01-02/" in message
    assert pipeline.files("raw_events") == [] and pipeline.files("clean_events") == []


def test_a_missing_window_day_is_named(pipeline):
    pipeline.generate(DAYS[0], 3, rows_per_day=100)
    assert pipeline.run(DAYS[0]).success
    result = pipeline.run(DAYS[2])  # 2024-01-02 of its window was never materialised
    assert not result.success
    messages = " ".join(
        e.step_failure_data.error.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"
    )
    assert "daily_user_metrics has no published partition for 2024-01-02" in messages
    assert pipeline.files("rolling_revenue_7d") == [f"rolling_revenue_7d/date={DAYS[0]}/data.parquet"]


def test_a_failed_blocking_check_stops_downstream_and_keeps_the_published_partition(pipeline, monkeypatch):
    pipeline.generate(DAYS[0], 1, rows_per_day=200)
    assert pipeline.run(DAYS[0]).success
    published = pipeline.table("daily_event_summary", DAYS[0])
    report_before = pipeline.warehouse.read_bytes(f"daily_report/date={DAYS[0]}/report.html")

    from pipeline_assets.transforms import aggregates

    correct = aggregates.daily_event_summary
    # A transformation bug: negative revenue, which the Pandera model forbids.
    monkeypatch.setattr(
        aggregates, "daily_event_summary", lambda f: correct(f).with_columns(pl.lit(-1.0).alias("revenue_usd"))
    )
    result = pipeline.run(DAYS[0])

    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [(e.asset_key.to_user_string(), e.check_name, e.partition) for e in failed] == [
        ("daily_event_summary", "schema", DAYS[0])
    ]
    assert failed[0].metadata["failures"].value == published.height
    assert "revenue_usd" in failed[0].metadata["failures_by_check"].value
    assert pipeline.table("daily_event_summary", DAYS[0]).equals(published)
    skipped = {e.step_key for e in result.all_events if e.event_type_value in ("STEP_SKIPPED", "STEP_UPSTREAM_FAILURE")}
    assert "daily_report" in skipped or not any(
        e.step_key == "daily_report" and e.event_type_value == "STEP_SUCCESS" for e in result.all_events
    )
    assert pipeline.warehouse.read_bytes(f"daily_report/date={DAYS[0]}/report.html") == report_before
