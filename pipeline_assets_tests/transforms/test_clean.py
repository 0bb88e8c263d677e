"""clean_day and type_fx_rates: typing, reject rules, de-duplication and the reconciliation counts."""

import json
from datetime import UTC, date, datetime

import polars as pl
import pytest

from pipeline_assets.checks import schema_evaluation
from pipeline_assets.schemas import CleanEvents, RawFxRates, RejectedEvents
from pipeline_assets.transforms.clean import (
    CLEAN_COLUMNS,
    FX_RATE_COLUMNS,
    REJECTED_COLUMNS,
    Reconciliation,
    type_fx_rates,
)
from pipeline_assets.transforms.landing_file import UNPARSABLE_SCHEMA
from pipeline_assets_tests.raw_day import Cleaned, cleaned

DAY = date(2024, 3, 1)
FILE = "events/date=2024-03-01/a.csv"
FX = pl.DataFrame({"currency": ["EUR", "GBP"], "usd_per_unit": [1.25, 1.5]})
VIEW = {
    "event_id": "e1", "user_id": "7", "session_id": "s1", "event_type": "view", "event_ts": "2024-03-01T10:00:00Z",
    "amount": "", "currency": "", "country": "DE", "device": "web", "metadata": '{"ref": "x"}',
}  # fmt: skip
PURCHASE = {**VIEW, "event_type": "purchase", "amount": "10.00", "currency": "EUR"}


def event(base: dict = VIEW, file: str = FILE, line: int = 2, **changes: str) -> dict:
    return {**base, **changes, "_source_file": file, "_source_line": line}


def raw(*events: dict) -> pl.DataFrame:
    """A landing file's records as the parser gives them: every landed field as text, plus the
    lineage columns."""
    columns = [c for c in events[0] if c not in ("_source_file", "_source_line")]
    schema = {c: pl.String for c in columns} | {"_source_file": pl.String, "_source_line": pl.Int64}
    return pl.DataFrame(list(events), schema=schema, orient="row")


def unparsable(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=UNPARSABLE_SCHEMA, orient="row")


def run(*events: dict, broken: pl.DataFrame | None = None, fx: pl.DataFrame = FX) -> Cleaned:
    broken = unparsable() if broken is None else broken
    result = cleaned([raw(*events)], broken, fx, DAY)
    assert result.clean.schema == pl.Schema(CLEAN_COLUMNS)
    assert result.rejected.schema == pl.Schema(REJECTED_COLUMNS)
    CleanEvents.validate(result.clean)
    RejectedEvents.validate(result.rejected)
    return result


# -- reject rules ---------------------------------------------------------------------------------
REJECTS = [
    (VIEW, {"event_id": ""}, "event_id is missing"),
    (VIEW, {"user_id": " "}, "user_id is missing"),
    (VIEW, {"user_id": "abc"}, "user_id 'abc' is not an integer"),
    (VIEW, {"user_id": "7.5"}, "user_id '7.5' is not an integer"),
    (VIEW, {"user_id": "0"}, "user_id 0 is not > 0"),
    (VIEW, {"user_id": "-3"}, "user_id -3 is not > 0"),
    (VIEW, {"session_id": ""}, "session_id is missing"),
    (VIEW, {"event_type": ""}, "event_type is missing"),
    (VIEW, {"event_type": "purchased"},
     "event_type 'purchased' is not one of view, click, add_to_cart, purchase, login, logout, search"),
    (VIEW, {"event_ts": ""}, "event_ts is missing"),
    (VIEW, {"event_ts": "2024-03-01T12:00:00"}, "event_ts '2024-03-01T12:00:00' has no UTC offset"),
    (VIEW, {"event_ts": "yesterday noon"}, "event_ts 'yesterday noon' has no UTC offset"),
    (VIEW, {"event_ts": "2024-13-01T12:00:00Z"}, "event_ts '2024-13-01T12:00:00Z' is not an ISO-8601 timestamp"),
    (VIEW, {"event_ts": "2024-02-29T23:59:59Z"},
     "event_ts '2024-02-29T23:59:59Z' falls on 2024-02-29 UTC, not on the partition day"),
    (VIEW, {"event_ts": "2024-03-01T01:00:00+02:00"},
     "event_ts '2024-03-01T01:00:00+02:00' falls on 2024-02-29 UTC, not on the partition day"),
    (VIEW, {"event_ts": "2024-03-01T20:00:00-05:00"},
     "event_ts '2024-03-01T20:00:00-05:00' falls on 2024-03-02 UTC, not on the partition day"),
    (PURCHASE, {"amount": ""}, "amount is missing for a purchase"),
    (PURCHASE, {"amount": "ten"}, "amount 'ten' is not a decimal"),
    (PURCHASE, {"amount": "-5.00"}, "amount '-5.00' is not > 0"),
    (PURCHASE, {"amount": "0"}, "amount '0' is not > 0"),
    (PURCHASE, {"currency": ""}, "currency is missing for a purchase"),
    (PURCHASE, {"currency": "chf"}, "currency 'CHF' has no fx rate on 2024-03-01"),
    (VIEW, {"country": "usa"}, "country 'usa' is not an ISO-3166 alpha-2 code"),
    (VIEW, {"country": "de"}, "country 'de' is not an ISO-3166 alpha-2 code"),
    (VIEW, {"device": "fridge"}, "device 'fridge' is not one of web, ios, android"),
    (VIEW, {"event_id": "", "device": "fridge"}, "event_id is missing; device 'fridge' is not one of web, ios, android"),
    (VIEW, {"metadata": "not json"}, "metadata 'not json' is not a JSON object"),
    (VIEW, {"metadata": "[1, 2]"}, "metadata '[1, 2]' is not a JSON object"),
    (VIEW, {"metadata": "42"}, "metadata '42' is not a JSON object"),
    (VIEW, {"metadata": '"text"'}, "metadata '\"text\"' is not a JSON object"),
    (VIEW, {"metadata": "null"}, "metadata 'null' is not a JSON object"),
    (VIEW, {"metadata": '{"a":'}, "metadata '{\"a\":' is not a JSON object"),
    (VIEW, {"metadata": '{"a": 1} x'}, "metadata '{\"a\": 1} x' is not a JSON object"),
    (VIEW, {"metadata": "{'a': 1}"}, "metadata '{'a': 1}' is not a JSON object"),
    (VIEW, {"metadata": '{"a": NaN}'}, "metadata '{\"a\": NaN}' is not a JSON object"),
    (VIEW, {"metadata": '{{"": 1e+100}'}, "metadata '{{\"\": 1e+100}' is not a JSON object"),
    # a lone surrogate is no Unicode text, also in a repeated key's value, beside a number beyond Float64
    (VIEW, {"metadata": '{"a": 1, "a": "\\udc00", "b": 1e400}'},
     "metadata '{\"a\": 1, \"a\": \"\\udc00\", \"b\": 1e400}' is not a JSON object"),
]  # fmt: skip


@pytest.mark.parametrize(
    "metadata",
    ['{}', ' {"ref": "x"} ', '{"a": [1, {"b": null}], "c": "say \\"hi\\", 1,2"}', '{"n": 12345678901234567890123}',
     '{"big": 1e400}', "",
     # Polars' JSON parser refuses nesting beyond 128 levels, JSON does not
     '{"a": ' + "[" * 127 + "]" * 127 + "}", '{"a": ' + "[" * 990 + "]" * 990 + ', "b": 1e400}'],
)  # fmt: skip
def test_metadata_that_is_a_json_object_or_missing_stays_clean(metadata):
    result = run(event(VIEW, line=5, metadata=metadata))
    assert result.rejected.is_empty() and result.clean.height == 1
    assert result.clean["metadata"].to_list() == [metadata.strip() or None]


@pytest.mark.parametrize("base, changes, reason", REJECTS)
def test_reject_rule(base, changes, reason):
    result = run(event(base, line=5, **changes))
    assert result.clean.is_empty()
    assert result.duplicates_removed == 0
    event_id = base["event_id"] if "event_id" not in changes else None
    assert result.rejected.drop("raw_record").rows() == [(DAY, event_id, FILE, 5, reason)]


def test_rejected_raw_record_is_the_record_as_landed():
    landed = event(VIEW, user_id=" abc ", device="", campaign="spring")
    result = run(landed)
    expected = {k: v for k, v in landed.items() if not k.startswith("_source")}
    # every landed column, extras included, untrimmed, blanks kept blank
    assert json.loads(result.rejected["raw_record"].item()) == expected


def test_non_purchase_ignores_amount_and_currency():
    result = run(event(VIEW, amount="-1", currency="XXX"))
    assert result.rejected.is_empty()
    assert result.clean.select("amount", "currency", "usd_per_unit", "amount_usd").row(0) == (None, None, None, None)


# -- valid rows -------------------------------------------------------------------------------------
def test_valid_rows_are_typed():
    result = run(
        event(VIEW, line=2, user_id=" 42 "),
        event(PURCHASE, line=3, event_id="e2", event_ts="2024-03-01T12:30:00.250+02:00", currency="eur"),
        event(PURCHASE, line=4, event_id="e3", amount="19.99", currency="USD", country="", device="", metadata=""),
    )
    assert result.rejected.is_empty()
    assert result.clean.drop("metadata", "_source_file").rows() == [
        (DAY, "e1", 42, "s1", "view", datetime(2024, 3, 1, 10, tzinfo=UTC), None, None, None, None, "DE", "web", 2),
        (DAY, "e2", 7, "s1", "purchase", datetime(2024, 3, 1, 10, 30, 0, 250_000, tzinfo=UTC),
         10.0, "EUR", 1.25, 12.5, "DE", "web", 3),
        (DAY, "e3", 7, "s1", "purchase", datetime(2024, 3, 1, 10, tzinfo=UTC), 19.99, "USD", 1.0, 19.99, None, None, 4),
    ]  # fmt: skip
    assert result.clean["metadata"].to_list() == ['{"ref": "x"}', '{"ref": "x"}', None]
    assert result.clean["_source_file"].to_list() == [FILE] * 3


def test_missing_optional_columns_and_extra_columns():
    minimal = {c: VIEW[c] for c in ("event_id", "user_id", "session_id", "event_type", "event_ts")}
    result = run(event(minimal, campaign="spring"))
    assert result.clean.select("country", "device", "metadata").row(0) == (None, None, None)
    assert "campaign" not in result.clean.columns


def test_fx_row_for_usd_is_used_when_present():
    fx = pl.DataFrame({"currency": ["USD"], "usd_per_unit": [2.0]})
    result = run(event(PURCHASE, currency="USD", amount="3.5"), fx=fx)
    assert result.clean.select("usd_per_unit", "amount_usd").row(0) == (2.0, 7.0)


# -- de-duplication ---------------------------------------------------------------------------------
def kept(result: Cleaned) -> list[tuple]:
    return result.clean.select("event_id", "session_id", "_source_file", "_source_line").rows()


def test_latest_event_ts_wins_whatever_the_offset():
    result = run(
        event(VIEW, line=2, session_id="late", event_ts="2024-03-01T11:00:00Z"),
        event(VIEW, line=3, session_id="early", event_ts="2024-03-01T12:00:00+02:00"),  # 10:00 UTC
        event(VIEW, line=4, event_id="e2"),
    )
    assert kept(result) == [("e1", "late", FILE, 2), ("e2", "s1", FILE, 4)]
    assert result.duplicates_removed == 1


def test_tie_goes_to_the_last_file_then_the_last_line():
    result = run(  # in source order, as raw_events holds them
        event(VIEW, file="a.csv", line=9, session_id="a9"),
        event(VIEW, file="a.csv", line=9, event_id="e2", session_id="x9"),
        event(VIEW, file="a.csv", line=10, session_id="a10"),
        event(VIEW, file="a.csv", line=10, event_id="e2", session_id="x10"),
        event(VIEW, file="b.csv", line=2, session_id="b2"),
    )
    assert kept(result) == [("e2", "x10", "a.csv", 10), ("e1", "b2", "b.csv", 2)]
    assert result.duplicates_removed == 3


def test_rejected_record_is_not_a_duplicate():
    result = run(event(VIEW, line=2), event(VIEW, line=3, device="fridge"))
    assert kept(result) == [("e1", "s1", FILE, 2)]
    assert result.rejected["_source_line"].to_list() == [3]
    assert result.duplicates_removed == 0


def test_unparsable_rows_are_rejected_without_event_id():
    broken = unparsable((FILE, 3, "1,2,3", "wrong field count: expected 10 fields, found 3"), ("b.jsonl", 1, "[]", "x"))
    result = run(event(VIEW, line=2), event(VIEW, line=4, event_id="", event_ts="now"), broken=broken)
    assert result.rejected.rows() == [
        (DAY, None, "b.jsonl", 1, "[]", "x"),
        (DAY, None, FILE, 3, "1,2,3", "wrong field count: expected 10 fields, found 3"),
        (DAY, None, FILE, 4, result.rejected["raw_record"][2], "event_id is missing; event_ts 'now' has no UTC offset"),
    ]
    assert kept(result) == [("e1", "s1", FILE, 2)]


def test_counts_reconcile():
    broken = unparsable((FILE, 9, "x", "wrong field count: expected 10 fields, found 1"))
    records = [event(VIEW, line=n, event_id=f"e{n % 3}") for n in range(2, 8)] + [event(VIEW, line=8, user_id="0")]
    result = run(*records, broken=broken)
    counts = Reconciliation(8, result.clean.height, result.rejected.height, result.duplicates_removed)
    assert (counts.clean_rows, counts.rejected_rows, counts.duplicates_removed) == (3, 2, 3)
    assert counts.balanced


# -- Reconciliation ---------------------------------------------------------------------------------
def test_reconciliation_balanced_and_unbalanced():
    assert Reconciliation(10, 6, 3, 1).as_metadata() == {
        "landing_records": 10, "clean_rows": 6, "rejected_rows": 3, "duplicates_removed": 1, "balanced": True,
    }  # fmt: skip
    assert not Reconciliation(10, 6, 3, 0).balanced
    assert not Reconciliation(10, 6, 3, 2).balanced
    assert Reconciliation(0, 0, 0, 0).balanced


# -- fx rates ---------------------------------------------------------------------------------------
def fx_records(*pairs: tuple) -> pl.DataFrame:
    rows = [(currency, rate, "rates.csv", line) for line, (currency, rate) in enumerate(pairs, start=2)]
    schema = {"currency": pl.String, "usd_per_unit": pl.String, "_source_file": pl.String, "_source_line": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def test_fx_rates_are_typed():
    rates, problems = type_fx_rates(fx_records(("EUR", "1.08"), (" gbp ", " 1.27 "), ("EUR", "1.080")))
    assert problems == []
    assert rates.schema == pl.Schema(FX_RATE_COLUMNS)
    # The same rate landed again is kept once, at its first line: raw_fx_rates has one row per currency.
    assert rates.rows() == [("EUR", 1.08, "rates.csv", 2), ("GBP", 1.27, "rates.csv", 3)]
    staged = rates.select(pl.lit(DAY).alias("date"), pl.all(), pl.lit(datetime.now(UTC)).alias("_ingested_at"))
    assert schema_evaluation("raw_fx_rates", RawFxRates, staged, "2024-03-01").passed  # the asset's own audit


@pytest.mark.parametrize(
    "pair, problem",
    [
        (("EUR", "abc"), "rates.csv line 3: currency 'EUR', usd_per_unit 'abc'"),
        (("EUR", ""), "rates.csv line 3: currency 'EUR', usd_per_unit ''"),
        (("EUR", "0"), "rates.csv line 3: currency 'EUR', usd_per_unit '0'"),
        (("EUR", "-1.5"), "rates.csv line 3: currency 'EUR', usd_per_unit '-1.5'"),
        (("EURO", "1.1"), "rates.csv line 3: currency 'EURO', usd_per_unit '1.1'"),
    ],
)
def test_fx_rate_problem(pair, problem):
    _, problems = type_fx_rates(fx_records(("GBP", "1.27"), pair))
    assert problems == [problem]


def test_fx_conflicting_rates():
    _, problems = type_fx_rates(fx_records(("JPY", "0.0067"), ("EUR", "1.1"), ("jpy", "0.007"), ("EUR", "1.2")))
    assert problems == ["currency 'EUR' has conflicting rates", "currency 'JPY' has conflicting rates"]


@pytest.mark.parametrize("column", ["currency", "usd_per_unit"])
def test_fx_missing_column(column):
    rates, problems = type_fx_rates(fx_records(("EUR", "1.1")).drop(column))
    assert problems == [f"missing column {column!r}"]
    assert rates.is_empty() and rates.schema == pl.Schema(FX_RATE_COLUMNS)


@pytest.mark.parametrize("records", [pl.DataFrame(), fx_records()], ids=["no file", "header only"])
def test_fx_no_records(records):
    rates, problems = type_fx_rates(records)
    assert problems == []
    assert rates.is_empty() and rates.schema == pl.Schema(FX_RATE_COLUMNS)


# -- edge cases found in review ---------------------------------------------------------------------
@pytest.mark.parametrize("amount", ["NaN", "inf"])
def test_non_finite_amount_is_rejected(amount):
    result = run(event(PURCHASE, amount=amount))
    assert result.clean.is_empty()
    assert result.rejected["reject_reason"].to_list() == [f"amount '{amount}' is not a decimal"]


@pytest.mark.parametrize("rate", ["NaN", "inf"])
def test_non_finite_fx_rate_is_a_problem(rate):
    _, problems = type_fx_rates(fx_records(("EUR", rate)))
    assert problems == [f"rates.csv line 2: currency 'EUR', usd_per_unit '{rate}'"]
