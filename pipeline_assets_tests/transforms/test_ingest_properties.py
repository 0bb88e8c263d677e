"""Properties of parse_landing_file against the contract's grammars (RFC 4180 CSV, JSON Lines),
with landing files written the way other tools write them (see pipeline_assets_tests.reference_parsing).

Each property parses a generated file and compares with an independent reference reader:
the same records, the same values by column name, the same physical line numbers, and every
broken record as exactly one unparsable row (its line, its raw text, a reason).
"""

import json

import polars as pl
from hypothesis import HealthCheck, example, given, settings

from pipeline_assets.transforms.ingest import parse_landing_file
from pipeline_assets.transforms.landing_file import UNPARSABLE_SCHEMA, ParsedFile
from pipeline_assets_tests.reference_parsing import (
    JsonlFile,
    LandingFile,
    csv_files,
    expected_column_names,
    json_number_text,
    jsonl_files,
    read_jsonl,
    read_rfc4180,
    same_json,
    shown,
)

LINEAGE = ("_source_file", "_source_line")
# Sized for a unit-test run (a few seconds per property; long CSV values cost the most).
_SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
CSV_PROPERTY = settings(max_examples=40, **_SETTINGS)
JSONL_PROPERTY = settings(max_examples=60, **_SETTINGS)


# -- shared checks -----------------------------------------------------------------------------
def check_accounting(name: str, parsed: ParsedFile, good: int, bad: list[tuple[int, bytes]]) -> None:
    """Every record accounted for, and each broken one as one unparsable row: line, raw text, reason."""
    assert parsed.record_count == good + len(bad)
    assert parsed.records.height == good
    assert parsed.unparsable.schema == pl.Schema(UNPARSABLE_SCHEMA)
    rows = parsed.unparsable.sort("_source_line").rows(named=True)
    assert [row["_source_line"] for row in rows] == [line for line, _ in bad]
    for row, (line, raw) in zip(rows, bad, strict=True):
        assert row["_source_file"] == name
        assert row["raw_record"] in shown(raw), f"line {line}: raw text {row['raw_record']!r}, landed {raw!r}"
        assert isinstance(row["reject_reason"], str) and row["reject_reason"].strip(), row


def check_lineage(name: str, parsed: ParsedFile) -> None:
    assert parsed.records.schema["_source_file"] == pl.String
    assert parsed.records.schema["_source_line"] == pl.Int64
    assert parsed.records["_source_file"].to_list() == [name] * parsed.records.height


# -- CSV ---------------------------------------------------------------------------------------
def csv_reference(file: LandingFile) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[tuple[int, bytes]]]:
    """(column names, good records by name, broken records) per the reference RFC 4180 reader."""
    header_record, *body = read_rfc4180(file.plain)
    header = [value.decode() for value in header_record.fields]
    names = expected_column_names(header)
    good, bad = [], []
    for record in body:
        try:
            values = [value.decode() for value in record.fields]
        except UnicodeDecodeError:
            bad.append((record.line, record.raw))
            continue
        if len(values) != len(header):
            bad.append((record.line, record.raw))
        else:
            good.append((record.line, dict(zip(names, values, strict=True))))
    # The reference reads what the writer meant (a check of the test itself, not of the pipeline).
    assert header == file.header
    assert [(line, list(values.values())) for line, values in good] == [
        (line, list(values.values())) for line, values in file.good
    ]
    assert bad == file.bad
    return names, good, bad


def check_csv(file: LandingFile) -> ParsedFile:
    parsed = parse_landing_file(file.name, file.data)
    names, good, bad = csv_reference(file)
    check_accounting(file.name, parsed, len(good), bad)
    check_lineage(file.name, parsed)
    assert sorted(parsed.records.columns) == sorted([*names, *LINEAGE])
    assert all(parsed.records.schema[name] == pl.String for name in names)
    records = parsed.records.sort("_source_line")  # columns taken by name: "*" is a header like any other
    landed = list(zip(*(records.get_column(name) for name in [*names, "_source_line"]), strict=True))
    expected = [(*(values[name] for name in names), line) for line, values in good]
    for got, want in zip(landed, expected, strict=True):  # one record at a time, for readable failures
        assert got == want
    return parsed


def _long_file(broken: bool) -> LandingFile:
    """A value of ~210 KiB (past the csv module's 128 KiB field limit) full of CRLFs, commas and
    quotes; with ``broken``, a record with a wrong field count after it."""
    long_value = 'x,"y"\r\n' * 30_000
    quoted = long_value.replace('"', '""')
    data = f'id,text\n1,"{quoted}"\n2,short\n'.encode() + (b"3,too,many\n" if broken else b"")
    good = [(2, {"id": "1", "text": long_value}), (30_003, {"id": "2", "text": "short"})]
    bad = [(30_004, b"3,too,many")] if broken else []
    return LandingFile("events/date=2024-03-01/long.csv", data, ["id", "text"], good, bad)


# Explicit examples: what random generation reaches only rarely.
HUGE_VALUE = LandingFile(  # one field of 3 MiB of UTF-8: larger than any reader's default block
    "events/date=2024-03-01/huge.csv", b"0\n" + "\u0800".encode() * 1_048_576, ["0"], [(2, {"0": "\u0800" * 1_048_576})]
)
VALUE_STARTING_WITH_U_FEFF = LandingFile(  # U+FEFF inside data is text, not a byte-order mark
    "events/date=2024-03-01/feff.csv",
    b"id,text\n\xef\xbb\xbfx,y\n",
    ["id", "text"],
    [(2, {"id": "\ufeffx", "text": "y"})],
)


@CSV_PROPERTY
@given(file=csv_files(blank_lines=True))
@example(file=_long_file(broken=False))
@example(file=HUGE_VALUE)
@example(file=VALUE_STARTING_WITH_U_FEFF)
def test_csv_records_equal_the_rfc4180_reference(file):
    """Any RFC 4180 file (any header names, quoting, line ends, BOM, gzip): every record parses to the
    landed text by column name, at its physical line, and nothing is unparsable."""
    parsed = check_csv(file)
    assert parsed.unparsable.is_empty()


@CSV_PROPERTY
@given(file=csv_files(broken=True, blank_lines=True))
@example(file=_long_file(broken=True))
def test_csv_broken_records_are_each_one_unparsable_row_and_the_rest_parse(file):
    """Records with a wrong field count or bytes that are not UTF-8 are each one unparsable row
    (line, raw text, reason); blank lines are not records; every other record parses as landed."""
    check_csv(file)


def test_csv_empty_fields_are_empty_strings():
    """An empty field, quoted or not, is the empty string (never null), on the fast and slow paths."""
    for extra in (b"", b"1,2\n"):  # a broken record sends the file down the record-by-record path
        parsed = parse_landing_file("a.csv", b'a,b,c\n,"",x\n' + extra)
        assert parsed.records.select("a", "b", "c").rows() == [("", "", "x")]


# -- JSON Lines --------------------------------------------------------------------------------
def check_jsonl(file: JsonlFile) -> ParsedFile:
    parsed = parse_landing_file(file.name, file.data)
    good, bad = read_jsonl(file.plain)
    assert [line for line, _ in good] == [line for line, _ in file.good]  # the reference reads what was meant
    assert bad == file.bad
    check_accounting(file.name, parsed, len(good), bad)
    check_lineage(file.name, parsed)
    keys = list(dict.fromkeys(key for _, value in good for key in value))
    assert sorted(parsed.records.columns) == sorted([*keys, *LINEAGE])
    assert all(parsed.records.schema[key] == pl.String for key in keys)
    landed = parsed.records.sort("_source_line").rows(named=True)
    for row, (line, value) in zip(landed, good, strict=True):
        assert row["_source_line"] == line
        for key in keys:
            check_json_value(row[key], value.get(key), f"line {line}, key {key!r}")
    return parsed


def check_json_value(text: str | None, value: object, where: str) -> None:
    """A string is kept exactly, null (or an absent key) is null, and any other value is a JSON text
    of an equal value (numbers compared by the exact decimal they spell)."""
    if value is None or isinstance(value, str):
        assert text == value, f"{where}: {text!r} for {value!r}"
        return
    assert text is not None, f"{where}: null for {value!r}"
    try:
        landed = json_number_text(text)
    except ValueError as error:
        raise AssertionError(f"{where}: {text!r} is not JSON ({error}) for {value!r}") from None
    assert same_json(landed, json_number_text(json.dumps(value))), f"{where}: {text!r} for {value!r}"


# Integers beyond 128 bits, which Polars' reader cannot hold (found by Hypothesis once, rarely
# drawn): one alone, and one among lines that Polars reads, with a broken line to reject.
_BEYOND_128_BITS = {"event_id": -(2**127) - 1, "user_id": 10**400, "metadata": {"n": [2**200, "x"]}}
BIG_INTEGERS = JsonlFile(
    "events/date=2024-03-01/big.jsonl",
    b'{"event_id":-170141183460469231731687303715884105729}\n',
    [(1, {"event_id": -(2**127) - 1})],
    [],
)
BIG_INTEGERS_AMONG_OTHERS = JsonlFile(
    "events/date=2024-03-01/big-among.jsonl",
    b'{"event_id":"a","user_id":1}\n' + json.dumps(_BEYOND_128_BITS).encode() + b'\n{"event_id":\n{"x":1.5}\n',
    [(1, {"event_id": "a", "user_id": 1}), (2, _BEYOND_128_BITS), (4, {"x": 1.5})],
    [(3, b'{"event_id":')],
)


@JSONL_PROPERTY
@given(file=jsonl_files())
@example(file=BIG_INTEGERS)
def test_jsonl_records_equal_the_json_reference(file):
    """Any JSON objects as other tools write them (escapes, separators, CRLF, gzip): strings exact,
    nulls null, other values as equal JSON text, each at its line; nothing unparsable."""
    parsed = check_jsonl(file)
    assert parsed.unparsable.is_empty()


@JSONL_PROPERTY
@given(file=jsonl_files(broken=True))
@example(file=BIG_INTEGERS_AMONG_OTHERS)
def test_jsonl_broken_lines_are_each_one_unparsable_row_and_the_rest_parse(file):
    """Truncated JSON, a non-object, or bytes that are not UTF-8: one unparsable row each (line, raw
    text, reason); blank lines are not records; every other line parses as in the reference."""
    check_jsonl(file)
