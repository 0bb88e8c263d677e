"""Properties of clean_day and type_fx_rates for the typed text fields whose grammar the contract
names but does not spell out: event_ts ("ISO-8601 timestamp with offset or Z") and the decimals
amount and usd_per_unit. The accepted grammars are decided and documented in
pipeline_assets_tests.reference_parsing (sections 3 and 4), with a plain-Python reference for each.
"""

import json
from datetime import date, datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_assets.transforms.clean import type_fx_rates
from pipeline_assets.transforms.landing_file import UNPARSABLE_SCHEMA
from pipeline_assets_tests.oracle import _is_json_object as oracle_is_json_object
from pipeline_assets_tests.raw_day import Cleaned, cleaned
from pipeline_assets_tests.reference_parsing import (
    WHITE_SPACE,
    illegal_decimals,
    illegal_timestamps,
    legal_decimals,
    legal_timestamps,
    reference_decimal,
    reference_instant,
)

# clean_day costs ~20 ms a call whatever its size: few examples of many records each.
PROPERTY = settings(max_examples=25, deadline=None)
DAY = date(2024, 3, 1)
FILE = "events/date=2024-03-01/a.csv"
RATE = 1.25
FX = pl.DataFrame({"currency": ["EUR"], "usd_per_unit": [RATE]})
VIEW = {
    "event_id": "e", "user_id": "7", "session_id": "s1", "event_type": "view", "event_ts": "2024-03-01T10:00:00Z",
    "amount": "", "currency": "", "country": "DE", "device": "web", "metadata": "",
}  # fmt: skip
PURCHASE = {**VIEW, "event_type": "purchase", "amount": "10.00", "currency": "EUR"}


def clean(records: list[dict], day: date = DAY) -> tuple[dict[str, dict], dict[str, str]]:
    """clean_day over otherwise valid records (event_id e0, e1, …): (clean rows, reject reasons) by event_id."""
    rows = [
        {**record, "event_id": f"e{n}", "_source_file": FILE, "_source_line": n + 2} for n, record in enumerate(records)
    ]
    schema = {c: pl.String for c in VIEW} | {"_source_file": pl.String, "_source_line": pl.Int64}
    raw = pl.DataFrame(rows, schema=schema, orient="row")
    result: Cleaned = cleaned([raw], pl.DataFrame(schema=UNPARSABLE_SCHEMA), FX, day)
    assert result.clean.height + result.rejected.height == len(records)  # distinct ids: no duplicates
    reasons = dict(zip(result.rejected["event_id"], result.rejected["reject_reason"], strict=True))
    return {row["event_id"]: row for row in result.clean.iter_rows(named=True)}, reasons


def python_fromisoformat(text: str) -> datetime | None:
    """Python's own ISO-8601 reader (3.11+), where it accepts the spelling: a second reference."""
    try:
        value = datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


# -- event_ts ----------------------------------------------------------------------------------
@PROPERTY
@given(spellings=st.lists(legal_timestamps(), min_size=1, max_size=25))
def test_every_legal_timestamp_spelling_is_its_utc_instant(spellings):
    """Extended or basic format, T/t/space, reduced precision, 1-12 fraction digits (truncated to the
    microsecond), Z/z/±hh/±hhmm/±hh:mm: the record is clean with the reference UTC instant, or, when
    that instant is on another UTC day, rejected as not on the partition day."""
    day = spellings[0].instant.date()
    for spelling in spellings:  # the references agree (a check of the test itself)
        assert reference_instant(spelling.text) == spelling.instant, spelling
        python = python_fromisoformat(spelling.text)
        assert python is None or python == spelling.instant, (spelling, python)
    rows, reasons = clean([{**VIEW, "event_ts": s.text} for s in spellings], day)
    for n, spelling in enumerate(spellings):
        if spelling.instant.date() == day:
            assert f"e{n}" not in reasons, (spelling, reasons.get(f"e{n}"))
            assert rows[f"e{n}"]["event_ts"] == spelling.instant, spelling
        else:
            expected = f"event_ts '{spelling.text}' falls on {spelling.instant.date()} UTC, not on the partition day"
            assert reasons[f"e{n}"] == expected, spelling


@PROPERTY
@given(spellings=st.lists(illegal_timestamps(), min_size=1, max_size=25))
def test_illegal_timestamp_is_rejected_with_its_reason(spellings):
    """No offset: "has no UTC offset"; a field out of range (month 13, day 32, 30 February, hour 25,
    minute 60, second 60 or more, offset over 23:59), a mixed basic/extended spelling or a one-digit field:
    "is not an ISO-8601 timestamp"; any other text: one of the two."""
    rows, reasons = clean([{**VIEW, "event_ts": s.text} for s in spellings])
    for n, spelling in enumerate(spellings):
        no_offset = f"event_ts '{spelling.text}' has no UTC offset"
        not_iso = f"event_ts '{spelling.text}' is not an ISO-8601 timestamp"
        assert f"e{n}" not in rows, spelling
        if spelling.kind == "no_offset":
            assert reasons[f"e{n}"] == no_offset, spelling
        elif spelling.kind == "garbage":
            assert reasons[f"e{n}"] in (no_offset, not_iso), spelling
        else:
            assert reasons[f"e{n}"] == not_iso, spelling


# -- amount ------------------------------------------------------------------------------------
@PROPERTY
@given(amounts=st.lists(legal_decimals(positive=True), min_size=1, max_size=25))
def test_positive_decimal_amount_is_its_value(amounts):
    """Any decimal spelling > 0 ("12", "0.50", "+3.1", ".5", "5.", "1e3", …) gives a clean purchase
    with the reference value and amount_usd = amount × rate."""
    rows, reasons = clean([{**PURCHASE, "amount": text} for text, _ in amounts])
    assert reasons == {}
    for n, (_, value) in enumerate(amounts):
        assert (rows[f"e{n}"]["amount"], rows[f"e{n}"]["amount_usd"]) == (value, value * RATE)


@PROPERTY
@given(amounts=st.lists(legal_decimals(positive=False), min_size=1, max_size=25))
def test_decimal_amount_not_above_zero_is_rejected(amounts):
    rows, reasons = clean([{**PURCHASE, "amount": text} for text, _ in amounts])
    assert rows == {}
    for n, (text, _) in enumerate(amounts):
        assert reasons[f"e{n}"] == f"amount '{text.strip()}' is not > 0"


@PROPERTY
@given(amounts=st.lists(illegal_decimals, min_size=1, max_size=25))
def test_amount_that_is_not_a_decimal_is_rejected(amounts):
    """Text that is not a decimal ("abc", "1,5", "NaN", "inf", "1e400", "1_000", "٣", …) is rejected as such."""
    rows, reasons = clean([{**PURCHASE, "amount": text} for text in amounts])
    assert rows == {}
    for n, text in enumerate(amounts):
        assert reasons[f"e{n}"] == f"amount '{text}' is not a decimal"


def test_blank_amount_is_missing():
    rows, reasons = clean([{**PURCHASE, "amount": text} for text in ("", " ", "\t")])
    assert rows == {} and set(reasons.values()) == {"amount is missing for a purchase"}


# -- usd_per_unit ------------------------------------------------------------------------------
def fx_records(rates: list[str]) -> pl.DataFrame:
    currencies = [f"C{chr(65 + n // 26)}{chr(65 + n % 26)}" for n in range(len(rates))]
    schema = {"currency": pl.String, "usd_per_unit": pl.String, "_source_file": pl.String, "_source_line": pl.Int64}
    rows = [(c, r, "rates.csv", n) for n, (c, r) in enumerate(zip(currencies, rates, strict=True), start=2)]
    return pl.DataFrame(rows, schema=schema, orient="row")


@PROPERTY
@given(rates=st.lists(legal_decimals(positive=True), min_size=1, max_size=25))
def test_positive_decimal_fx_rate_is_its_value(rates):
    """The same decimal grammar as amount: any spelling > 0 is a rate with the reference value."""
    typed, problems = type_fx_rates(fx_records([text for text, _ in rates]))
    assert problems == []
    assert typed["usd_per_unit"].to_list() == [value for _, value in rates]


@PROPERTY
@given(
    rates=st.lists(
        st.one_of(illegal_decimals, legal_decimals(positive=False).map(lambda t: t[0])), min_size=1, max_size=20
    )
)
def test_fx_rate_that_is_not_a_decimal_above_zero_is_a_problem(rates):
    """Not a decimal, or a decimal <= 0: each rate is a problem naming its line (20 at most are listed)."""
    _, problems = type_fx_rates(fx_records(rates))
    assert len(problems) == len(rates)
    for line, (problem, text) in enumerate(zip(problems, rates, strict=True), start=2):
        assert problem.startswith(f"rates.csv line {line}: ") and problem.endswith(f"usd_per_unit {text!r}")


def test_decimal_reference_examples():
    """The decided grammar on the brief's examples (see reference_parsing section 4)."""
    legal = {
        "12": 12.0,
        "12.5": 12.5,
        "0.50": 0.5,
        "+3.1": 3.1,
        ".5": 0.5,
        "5.": 5.0,
        "1e3": 1000.0,
        "2.5E-05": 2.5e-05,
    }
    assert {text: reference_decimal(text) for text in legal} == legal
    assert [reference_decimal(text) for text in ("abc", "1,5", "NaN", "inf", "", "1e400")] == [None] * 6


# -- metadata ----------------------------------------------------------------------------------
_JSON_SPACE = st.text(alphabet=" \t\r\n", max_size=2)
_JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8)
)
_JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def json_texts(draw) -> str:
    """JSON text as other tools write it: any value (flat and nested objects mostly), any key and
    string (escaped or not, astral characters as surrogate pairs), JSON's white space between
    tokens; sometimes cut short or with a character put in (or NaN, a number beyond Float64, a lone
    surrogate escape), so that it may be broken."""
    value = draw(st.one_of(st.dictionaries(st.text(max_size=6), _JSON_SCALARS, max_size=4), _JSON_VALUES))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    space = draw(_JSON_SPACE)
    text = text.replace(", ", "," + space).replace(": ", space + ":" + draw(_JSON_SPACE))
    text = draw(_JSON_SPACE) + text + draw(_JSON_SPACE)
    edit = draw(st.sampled_from(["none", "none", "cut", "insert"]))
    position = draw(st.integers(0, len(text)))
    if edit == "cut":
        text = text[:position]
    elif edit == "insert":
        text = (
            text[:position]
            + draw(st.sampled_from(list('{}[]",:\\x\x01\u00a0') + ["NaN", "1e400", "\\ud800"]))
            + text[position:]
        )
    return text


@PROPERTY
@given(texts=st.lists(json_texts(), min_size=1, max_size=25))
def test_metadata_is_clean_exactly_when_it_is_a_json_object(texts):
    """metadata ("JSON object as text") stays as landed when, trimmed, it is one strict JSON object
    (Python's json, NaN and Infinity refused: the test oracle's rule), and is rejected otherwise.
    Flat objects and all others are settled by different means (`clean._is_json_object`): both are
    drawn, and so is text that only looks like them."""
    rows, reasons = clean([{**VIEW, "metadata": text} for text in texts])
    for n, text in enumerate(texts):
        trimmed = text.strip(WHITE_SPACE)  # as every field is trimmed
        if not trimmed or oracle_is_json_object(trimmed):
            assert f"e{n}" not in reasons, (text, reasons.get(f"e{n}"))
            assert rows[f"e{n}"]["metadata"] == (trimmed or None)
        else:
            assert reasons[f"e{n}"] == f"metadata '{trimmed}' is not a JSON object", text
