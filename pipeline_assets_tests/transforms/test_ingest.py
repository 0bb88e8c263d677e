"""parse_landing_file: landing bytes to text records plus unparsable rows, every record accounted for."""

import gzip
import json

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from pipeline_assets.transforms import jsonl_file
from pipeline_assets.transforms.ingest import parse_landing_file
from pipeline_assets.transforms.landing_count import count_landing_records
from pipeline_assets.transforms.landing_file import UNPARSABLE_SCHEMA, LandingFileError, ParsedFile

LINEAGE = ["_source_file", "_source_line"]


def parse(name: str, data: bytes) -> ParsedFile:
    """Parse, and check the accounting every parse must satisfy."""
    parsed = parse_landing_file(name, data)
    assert parsed.records.height + parsed.unparsable.height == parsed.record_count
    assert parsed.unparsable.schema == pl.Schema(UNPARSABLE_SCHEMA)
    assert parsed.records.schema[LINEAGE[0]] == pl.String and parsed.records.schema[LINEAGE[1]] == pl.Int64
    return parsed


def rows(parsed: ParsedFile, *columns: str) -> list[tuple]:
    return parsed.records.select(*columns, "_source_line").rows()


@pytest.fixture
def read_by_python(monkeypatch) -> list:
    """Every text that Python's json reads from here on (the parser's few lines in Python)."""
    texts: list = []
    loads = json.loads
    monkeypatch.setattr(json, "loads", lambda text, **kw: texts.append(text) or loads(text, **kw))
    return texts


def good_records(parsed: ParsedFile) -> pl.DataFrame:
    """Records with columns in a fixed order, to compare two parses of the same content."""
    return parsed.records.select(sorted(parsed.records.columns))


# -- well-formed CSV --------------------------------------------------------------------------
def test_csv_rfc4180_quoting_and_multiline_records():
    data = b'id,text\n1,"a, b"\n2,"say ""hi"""\n3,"line\nbreak\nagain"\n4,plain\n'
    parsed = parse("events/date=2024-03-01/a.csv", data)
    assert rows(parsed, "id", "text") == [
        ("1", "a, b", 2),
        ("2", 'say "hi"', 3),
        ("3", "line\nbreak\nagain", 4),
        ("4", "plain", 7),  # the previous record spans lines 4-6
    ]
    assert parsed.records["_source_file"].to_list() == ["events/date=2024-03-01/a.csv"] * 4
    assert parsed.record_count == 4
    assert parsed.unparsable.is_empty()


def test_csv_bom_and_crlf():
    data = b'\xef\xbb\xbfid,text\r\n1,"x\r\ny"\r\n2,z\r\n'
    parsed = parse("a.csv", data)
    assert parsed.landed_columns == ["id", "text"]  # the BOM is not part of the first column's name
    assert rows(parsed, "id", "text") == [("1", "x\r\ny", 2), ("2", "z", 4)]


@pytest.mark.parametrize("end", [b"\r", b"\n\r"])
def test_csv_file_ending_in_a_crlf_cut_short_keeps_its_last_record(end):
    """A lone CR at the very end is the last line end cut short, as for Python's csv, pandas and
    Arrow, and for the landing count: the record before it is whole."""
    data = b"id,text\r\n1,x\r\n2,z" + end
    parsed = parse("a.csv", data)
    assert rows(parsed, "id", "text") == [("1", "x", 2), ("2", "z", 3)]
    assert parsed.unparsable.is_empty() and parsed.record_count == count_landing_records("a.csv", data) == 2


def test_csv_columns_matched_by_header_name():
    one = parse("a.csv", b"event_id,user_id,device\ne1,7,web\ne2,8,\n")
    other = parse("a.csv", b"device,event_id,user_id\nweb,e1,7\n,e2,8\n")
    assert_frame_equal(good_records(one), good_records(other))
    assert rows(one, "event_id", "user_id", "device") == [("e1", "7", "web", 2), ("e2", "8", "", 3)]


def test_extra_columns_are_kept():
    csv = parse("a.csv", b"event_id,campaign\ne1,spring\n")
    jsonl = parse("a.jsonl", b'{"event_id": "e1", "campaign": "spring"}\n')
    for parsed in (csv, jsonl):
        assert parsed.landed_columns == ["event_id", "campaign"]
        assert rows(parsed, "event_id", "campaign") == [("e1", "spring", 2 if parsed is csv else 1)]


# -- JSON Lines and gzip ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data, columns",
    [
        (b'{"event_id": "e1", "amount": null}\n{"event_id": "e2"}\n', ["event_id", "amount"]),
        (b'{"event_id": "e1", "metadata": {"amount": 1}}\n', ["event_id", "metadata"]),
        (b'{"event_id": "e1"}\n{"event_id": "e2", "metadata": {"amount": 1}}\n', ["event_id", "metadata"]),
        (b'{"event_id": "x, \\"amount\\": 1"}\n', ["event_id"]),
        (b'{"event_id":"e1" , "amount" :null,"country":"DE"}\n', ["event_id", "amount", "country"]),
    ],
)
def test_jsonl_columns_are_the_keys_its_lines_have(data, columns):
    """A key is a column when some line has it, even null on every line; a contract field that no
    line has (named only inside a string or a nested object) is none."""
    assert sorted(parse("a.jsonl", data).landed_columns) == sorted(columns)


def test_jsonl_key_chunk_of_blank_lines_only(monkeypatch):
    """The keys are inferred a chunk of lines at a time; a chunk holding only a file's last CR
    (after the last line feed) has none, and must not stop the file (it did: "could not infer
    data-type"). Chunks of a few bytes stand for the 16 MiB ones."""
    monkeypatch.setattr(jsonl_file, "_KEY_CHUNK", 4)
    parsed = parse("a.jsonl", b'{"x": {"a": 1}}\n\r')
    assert rows(parsed, "x") == [('{"a": 1}', 1)]


def test_jsonl_values_become_text():
    data = (
        b'{"event_id": "e1", "user_id": 42, "amount": 12.5, "metadata": {"ref": "ad, banner", "n": 1}, "ok": true}\n'
        b'{"event_id": "e2", "user_id": 7, "amount": 3.25, "metadata": {"ref": "plain", "n": 2}, "ok": false}\n'
        b'{"event_id": "e3", "user_id": 9, "amount": null, "metadata": {"ref": "", "n": 3}}\n'
    )
    parsed = parse("a.jsonl", data)
    assert rows(parsed, "event_id", "user_id", "amount", "metadata", "ok") == [
        # objects keep the text they were landed with
        ("e1", "42", "12.5", '{"ref": "ad, banner", "n": 1}', "true", 1),
        ("e2", "7", "3.25", '{"ref": "plain", "n": 2}', "false", 2),
        ("e3", "9", None, '{"ref": "", "n": 3}', None, 3),
    ]
    assert set(parsed.records.schema.values()) == {pl.String, pl.Int64}


@pytest.mark.parametrize(
    "name, data",
    [
        ("a.csv", b'id,text\n1,"a, b"\n2,"x\ny"\n'),
        ("a.jsonl", b'{"id": "1", "text": "a, b"}\n{"id": "2", "text": "x\\ny"}\n'),
    ],
)
def test_gzip_gives_the_same_records(name, data):
    plain = parse(name, data)
    compressed = parse(name + ".gz", gzip.compress(data))
    assert_frame_equal(good_records(compressed), good_records(plain).with_columns(_source_file=pl.lit(name + ".gz")))
    assert compressed.record_count == plain.record_count == 2


@pytest.mark.parametrize("data", [b"not gzip at all", gzip.compress(b"id\n1\n", mtime=0)[:-8]])
def test_corrupt_gzip_raises_naming_the_file(data):
    with pytest.raises(LandingFileError, match=r"^events/date=2024-03-01/a\.csv\.gz: not a readable gzip file"):
        parse_landing_file("events/date=2024-03-01/a.csv.gz", data)


def test_unsupported_suffix_raises():
    with pytest.raises(LandingFileError, match=r"^a\.txt: unsupported file type"):
        parse_landing_file("a.txt", b"id\n1\n")


# -- blank lines and empty files ------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("a.csv", b"id\n\n1\n\n\n2\n", [("1", 3), ("2", 6)]),
        ("a.csv", b"id\r\n1\r\n\r\n2\r\n", [("1", 2), ("2", 4)]),
        ("a.jsonl", b'\n{"id": "1"}\n\n{"id": "2"}\n\n', [("1", 2), ("2", 4)]),
    ],
)
def test_blank_lines_hold_no_record_but_count_as_lines(name, data, expected):
    parsed = parse(name, data)
    assert rows(parsed, "id") == expected
    assert parsed.record_count == 2


@pytest.mark.parametrize(
    "name, data",
    [("a.csv", b""), ("a.csv", b"\r\n\n"), ("a.csv", b"id,text\n"), ("a.jsonl", b""), ("a.jsonl", b"\n\n")],
)
def test_file_without_records(name, data):
    parsed = parse(name, data)
    assert (parsed.record_count, parsed.records.height, parsed.unparsable.height) == (0, 0, 0)


# -- unparsable records ---------------------------------------------------------------------------
BROKEN = [
    ("a.csv", b"id,text\n1,x\n2,y,extra\n3,z\n", 3, "2,y,extra", "wrong field count: expected 2 fields, found 3"),
    ("a.csv", b"id,text\n1,x\n2\n3,z\n", 3, "2", "wrong field count: expected 2 fields, found 1"),
    ("a.csv", b'id,text\n1,x\n"2\nb",y,z\n3,z\n', 3, '"2\nb",y,z', "wrong field count: expected 2 fields, found 3"),
    ("a.csv", b"id,text\n1,x\nbad-\xff\xfe,y\n3,z\n", 3, "bad-\\xff\\xfe,y", "record is not valid UTF-8"),
    (
        "a.jsonl",
        b'{"id": "1"}\n{"id": "bad-\xff"}\n{"id": "3"}\n',
        2,
        '{"id": "bad-\\xff"}',
        "record is not valid UTF-8",
    ),
    ("a.jsonl", b'{"id": "1"}\n{"id": \n{"id": "3"}\n', 2, '{"id": ', "broken JSON: Expecting value at column 8"),
    (
        "a.jsonl",
        b'{"id": "1"}\n["not", "an", "object"]\n{"id": "3"}\n',
        2,
        '["not", "an", "object"]',
        "JSON line is a list, not an object",
    ),  # fmt: skip
    ("a.jsonl", b'{"id": "1"}\n"text"\n{"id": "3"}\n', 2, '"text"', "JSON line is a str, not an object"),
    # A no-break space or a form feed is white space to Unicode, not to JSON: a broken line, not a blank one.
    ("a.jsonl", '{"id": "1"}\n\u00a0\n{"id": "3"}\n'.encode(), 2, "\u00a0", "broken JSON: Expecting value at column 1"),
    (
        "a.jsonl",
        b'{"id": "1"}\n{"id": "2"}\x0c\n{"id": "3"}\n',
        2,
        '{"id": "2"}\x0c',
        "broken JSON: Extra data at column 12",
    ),
]


@pytest.mark.parametrize("name, data, line, raw, reason", BROKEN)
def test_unparsable_record_is_explained(name, data, line, raw, reason):
    parsed = parse(name, data)
    assert parsed.unparsable.rows() == [(name, line, raw, reason)]
    assert parsed.records["id"].to_list() == ["1", "3"]
    assert parsed.record_count == 3


def test_every_broken_record_is_listed_with_its_line():
    data = b'{"id": "1"}\n\n[1]\n{"id"\n{"id": "5"}\n7\n'
    parsed = parse("a.jsonl", data)
    assert parsed.unparsable.select("_source_line", "reject_reason").rows() == [
        (3, "JSON line is a list, not an object"),
        (4, "broken JSON: Expecting ':' delimiter at column 6"),
        (6, "JSON line is a int, not an object"),
    ]
    assert rows(parsed, "id") == [("1", 1), ("5", 5)]
    assert parsed.record_count == 5


def test_csv_header_that_is_not_utf8_fails_the_file():
    with pytest.raises(LandingFileError, match=r"^a\.csv: the CSV header is not valid UTF-8"):
        parse_landing_file("a.csv", b"id,t\xffext\n1,2\n")


@pytest.mark.parametrize("columns", [3, 20_000])
def test_csv_records_are_checked_against_the_headers_field_count_however_wide(columns):
    """The grammar and the field count are one regex up to 4,000 fields; past about 4,200 that
    regex is too large for Polars, so a wider file counts its fields apart."""
    header = ",".join(f"c{n}" for n in range(columns))
    fields = [f'"{n},{n}"' if n % 2 else str(n) for n in range(columns)]  # quoted commas do not count
    values, short = ",".join(fields), ",".join(fields[:-1])
    data = f"{header}\n{values}\n{values},x\n{short}\n{values}\n".encode()
    parsed = parse_landing_file("a.csv", data)
    assert parsed.records["_source_line"].to_list() == [2, 5]
    assert parsed.records["c1"].to_list() == ["1,1", "1,1"]
    assert parsed.unparsable.select("_source_line", "reject_reason").rows() == [
        (3, f"wrong field count: expected {columns} fields, found {columns + 1}"),
        (4, f"wrong field count: expected {columns} fields, found {columns - 1}"),
    ]


def test_csv_with_carriage_returns_only_for_line_ends_fails_the_file_instead_of_losing_its_records():
    """CR-only line ends (not LF, not CRLF) make the whole file one line: its header. Read as one,
    the file had no records, and the byte count agreed, so both records went unnoticed."""
    with pytest.raises(LandingFileError, match=r"^a\.csv: the CSV header is not one RFC 4180 record: a carriage"):
        parse_landing_file("a.csv", b"id,text\r1,x\r2,y\r")


def test_csv_carriage_return_outside_quotes_is_refused_with_its_reason():
    parsed = parse_landing_file("a.csv", b'id,text\n1,x\ry\n2,"x\ry"\n')
    assert rows(parsed, "text") == [("x\ry", 3)]
    assert parsed.unparsable.select("_source_line", "reject_reason").rows() == [
        (2, "malformed CSV: a carriage return outside quotes (line ends are LF or CRLF)")
    ]


@pytest.mark.parametrize(
    "data, columns",
    [(b"id,id\n1,2\n", ["id", "id_2"]), (b"id,,text\n1,2,3\n", ["id", "column_2", "text"])],
)
def test_csv_header_with_repeated_or_blank_names_keeps_every_column(data, columns):
    parsed = parse_landing_file("a.csv", data)
    assert parsed.landed_columns == columns  # schema drift is kept, never a reason to fail the day
    assert parsed.records.height == 1 and parsed.record_count == 1


# -- fast path and slow path agree ------------------------------------------------------------------
FAST_AND_SLOW = [
    ("a.csv", b'\xef\xbb\xbfid,user_id,text\r\n1,7,"a, b"\r\n2,8,"x\r\ny ""q"""\r\n3,9,\r\n', b"4,too,many,fields\r\n"),
    ("a.csv.gz", b'text,id\n"line\nbreak",1\n"",2\n', b"only-one-field\n"),
    (
        "a.jsonl",
        b'{"id": "1", "user_id": 7, "m": {"k": "v"}}\n{"id": "2", "user_id": 8, "m": {"k": "w"}}\n',
        b"{oops\n",
    ),
    ("a.jsonl.gz", b'{"id": "1", "amount": 2.5}\n{"id": "2", "amount": 3.75, "extra": "x"}\n', b"[]\n"),
]


def _maybe_gzip(name: str, data: bytes) -> bytes:
    return gzip.compress(data) if name.endswith(".gz") else data


@pytest.mark.parametrize("name, good, broken", FAST_AND_SLOW)
def test_slow_path_keeps_the_same_good_records_as_the_fast_path(name, good, broken):
    fast = parse(name, _maybe_gzip(name, good))
    slow = parse(name, _maybe_gzip(name, good + broken))
    assert fast.unparsable.is_empty() and slow.unparsable.height == 1
    assert_frame_equal(good_records(slow), good_records(fast))
    assert slow.record_count == fast.record_count + 1


# -- edge cases found in review ------------------------------------------------------------------
@pytest.mark.parametrize("name, good, broken", [
    ("a.csv", "id,text\n1,a\u2028b\n2,\"x\u2028y\"\n".encode(), b"3,too,many\n"),
    ("a.jsonl", '{"id": "1", "text": "a\u2028b"}\n{"id": "2", "text": "c"}\n'.encode(), b"[]\n"),
])  # fmt: skip
def test_unicode_line_separator_is_not_a_line_break(name, good, broken):
    fast = parse(name, good)
    slow = parse(name, good + broken)
    assert slow.record_count == 3 and slow.unparsable["_source_line"].to_list() == [4 if name == "a.csv" else 3]
    assert_frame_equal(good_records(slow), good_records(fast))


def test_jsonl_whitespace_only_line_counts_as_a_line():
    parsed = parse("a.jsonl", b'{"id": "1"}\n   \n{"id": "2"}\n')
    assert rows(parsed, "id") == [("1", 1), ("2", 3)]


@pytest.mark.parametrize(
    ("line", "column", "first"),
    [
        (b'{"event_id": "first", "event_id": "last", "user_id": 7}', "event_id", "first"),  # Polars' reader
        (b'{"event_id": "first", "event_id": "last", "user_id": 1e400}', "event_id", "first"),  # Python's (1e400)
        # A nested value on a line with a backslash is taken again from the line, in Python.
        (b'{"metadata": {"a": "\\""}, "metadata": {"b": 2}}', "metadata", '{"a": "\\""}'),
    ],
)
def test_jsonl_repeated_key_keeps_its_first_value_on_every_path(line, column, first):
    """RFC 8259 leaves a repeated key to the reader; the parser's readers must agree on one."""
    assert parse("a.jsonl", line + b"\n").records[column].to_list() == [first]


@settings(max_examples=300, deadline=None)
@given(
    number=st.one_of(
        st.integers(-(2**70), 2**70).map(str),
        st.sampled_from(["-0", "5.0", "2.50", "1e3", "1E+2", "-0.0", "1.5e-7", "4.9e-324", "1.7976931348623157e308"]),
        st.tuples(
            st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["r", "e", "f"]), st.integers(0, 17)
        )
        .map(lambda f: repr(f[0]) if f[1] == "r" else f"{f[0]:.{f[2]}{f[1]}}")
        .filter(lambda text: len(text) < 400),
    )
)
def test_jsonl_number_reads_the_same_whichever_reader_takes_its_line(number):
    """A line holding a number beyond Float64 is read in Python; its other numbers must come out
    as Polars gives them on any other line (``"user_id": 5.0`` is "5" there), or one value's
    verdict would depend on an unrelated field."""
    alone = parse("a.jsonl", b'{"user_id": %s}\n' % number.encode())
    beside = parse("a.jsonl", b'{"user_id": %s, "other": 1e400}\n' % number.encode())
    assert beside.records["other"].to_list() == ["1e400"]  # read in Python, as spelled
    assert beside.records["user_id"].to_list() == alone.records["user_id"].to_list()


def test_jsonl_integer_stays_an_integer_next_to_a_float():
    parsed = parse("a.jsonl", b'{"user_id": 5}\n{"user_id": 6.5}\n')
    assert parsed.records["user_id"].to_list() == ["5", "6.5"]


def test_jsonl_absent_object_field_stays_null():
    parsed = parse("a.jsonl", b'{"id": "1", "metadata": {"a": 1}}\n{"id": "2"}\n{"id": "3", "metadata": null}\n')
    assert parsed.records["metadata"].to_list() == ['{"a": 1}', None, None]


def test_jsonl_object_keeps_only_its_own_keys():
    parsed = parse("a.jsonl", b'{"metadata": {"a": 1}}\n{"metadata": {"b": "x"}}\n')
    assert parsed.records["metadata"].to_list() == ['{"a": 1}', '{"b": "x"}']


def test_jsonl_nested_value_with_escapes_under_a_key_spelled_with_escapes():
    """A key may be spelled with escapes ("\\/" for "/"); its nested value keeps its escapes.
    (Found by the JSON Lines property test with more examples than the suite runs.)"""
    parsed = parse("a.jsonl", b'{"\\/":""}\n{"\\/":["\\u001f"], "m": "{\\"a\\": 1}"}\n')
    assert [json.loads(v) for v in parsed.records["/"].to_list()[1:]] == [["\x1f"]]
    assert parsed.records["m"].to_list() == [None, '{"a": 1}']  # a text value that looks like JSON stays as it is


@pytest.mark.parametrize(
    "last_lines",
    [
        [b'{"id": "40", "m": {"a": "\\u0041\\n"}}', b'{"id": "41", "m": "y"}'],  # nested only in the last chunk
        [b'{"id": "40", "late": 7, "m": {"a": 1}}', b'{"id": "41", "late": "y"}'],  # a key first seen there
    ],
)
def test_jsonl_keys_found_a_chunk_at_a_time_are_the_whole_files(monkeypatch, last_lines):
    """Keys are inferred a chunk of lines per thread; the records are those of the file
    inferred whole, nested values with escapes included (the columns' order is the chunks')."""
    data = b"\n".join([b'{"id": "%d", "m": "x"}' % n for n in range(40)] + last_lines) + b"\n"
    whole = parse("a.jsonl", data)
    monkeypatch.setattr(jsonl_file, "_KEY_CHUNK", 50)  # a chunk of about two lines
    assert_frame_equal(parse("a.jsonl", data).records, whole.records, check_column_order=False)
    assert json.loads(whole.records["m"][40]) == json.loads(last_lines[0])["m"]


def test_jsonl_values_of_no_common_type_send_only_the_lines_around_them_to_python(read_by_python):
    """A key that is an object on some lines and a list on others has no type Polars can infer
    for the whole file; the halves that hold no such clash are inferred by Polars, and Python
    reads only a few lines around each clash, not the file (it read every line before)."""
    lines = [b'{"id": "%d"}' % n for n in range(20_000)]  # no "m" (text there would make every "m" text)
    lines[5], lines[15_000] = b'{"id": "5", "m": {"a": 1}}', b'{"id": "15000", "m": [1, 2]}'  # far apart
    lines[7_000], lines[7_001] = b'{"id": "7000", "m": {"b": 2}}', b'{"id": "7001", "m": [3]}'  # side by side
    parsed = parse("a.jsonl", b"\n".join(lines) + b"\n")
    lines_read_by_python = len(read_by_python)
    values = dict(zip(parsed.records["id"].to_list(), parsed.records["m"].to_list(), strict=True))
    assert [json.loads(values[i]) for i in ("5", "15000", "7000", "7001")] == [{"a": 1}, [1, 2], {"b": 2}, [3]]
    assert values["6"] is None and parsed.unparsable.is_empty()
    assert 0 < lines_read_by_python < 4_000  # the few lines of the pieces around the side-by-side clash


def test_jsonl_clashing_lines_with_a_carriage_return_between_tokens():
    """JSON allows a CR as white space inside a line; the few clashing lines read in Python are
    split at line feeds only."""
    parsed = parse("a.jsonl", b'{"m":\r{"a": 1}}\n{"m": [1]}\n')
    assert [json.loads(v) for v in parsed.records["m"].to_list()] == [{"a": 1}, [1]]


def test_jsonl_numbers_beyond_what_polars_holds_are_kept_as_spelled(read_by_python):
    """Integers past 128 bits and numbers past Float64 are JSON; Polars' reader stops on them, so
    only the lines that may hold one are read in Python, each number as the line spells it."""
    huge = "1" + "0" * 400
    lines = [b'{"id": "%d", "amount": %d.5}' % (n, n) for n in range(1000)]
    lines[10] = b'{"id": "10", "amount": 1e999, "metadata": {"n": [%s, 1E-400]}}' % huge.encode()
    lines[20] = b'{"id": "20", "amount": -%s}' % huge.encode()
    lines[30] = b'{"id": "30", "amount": NaN, "pad": 1e999}'  # Python's json takes NaN; JSON does not
    parsed = parse("a.jsonl", b"\n".join(lines) + b"\n")
    by_id = {row["id"]: row for row in parsed.records.iter_rows(named=True)}
    assert by_id["10"]["amount"] == "1e999" and by_id["10"]["metadata"] == f'{{"n":[{huge},1E-400]}}'
    assert by_id["20"]["amount"] == "-" + huge and by_id["11"]["amount"] == "11.5"
    assert parsed.records["_source_line"].to_list() == [n + 1 for n in range(1000) if n != 30]
    assert parsed.unparsable.select("_source_line", "reject_reason").rows() == [
        (31, "broken JSON: not strict JSON (NaN or Infinity)")
    ]
    # Only the three lines with such a number (the third once more, for its reason), not the file.
    assert {text.strip() for text in read_by_python} == {lines[n].decode() for n in (10, 20, 30)}


@pytest.mark.parametrize(
    "line, lone",
    [
        (rb'{"a": "\ud800x"}', True),  # Polars' reader made this "\x00x"
        (rb'{"a": "\udc00"}', True),  # and stopped the whole read on this
        (rb'{"\uD83D": 1}', True),  # in a key too
        (rb'{"a": "\ud83d\\\ude00"}', True),  # a high one, a backslash, a low one: no pair
        (rb'{"a": "\ud83d\ude00"}', False),  # a pair: one character
        (rb'{"a": "\\ud800"}', False),  # a backslash and text
    ],
)
def test_jsonl_lone_surrogate_escapes_are_refused_with_their_reason(line, lone):
    parsed = parse("a.jsonl", line + b'\n{"a": "next"}\n')
    assert parsed.records["a"].to_list()[-1] == "next"
    expected = [(1, "JSON string holds a lone surrogate escape (\\uD800-\\uDFFF), which is not Unicode text")]
    assert parsed.unparsable.select("_source_line", "reject_reason").rows() == (expected if lone else [])
    assert parsed.records.height == (1 if lone else 2)


@pytest.mark.parametrize("depth", [900, 5_000, 100_000])
def test_jsonl_nesting_deeper_than_the_readers_go_is_refused_with_its_reason(depth):
    """Polars stops at 1,024 levels and Python's json near 1,000 (a RecursionError, which failed
    the file without naming it); a line within both limits parses."""
    parsed = parse("a.jsonl", b'{"a": ' + b"[" * depth + b"]" * depth + b'}\n{"a": "next"}\n')
    refused = parsed.unparsable.select("_source_line", "reject_reason").rows()
    assert refused == ([] if depth < 1_000 else [(1, "JSON nested too deeply to read (over 1,000 levels)")])
    assert parsed.records["a"].to_list()[-1] == "next"


def test_jsonl_nested_escapes_are_read_again_as_deep_as_polars_reads():
    """A nested value with escapes is read again in Python (`_read_ndjson`), and a type clash
    lists keys in Python (`_keys_in`): both as deep as Polars goes, past Python's default limit."""
    depth = 1_020
    deep = b"[" * depth + b'"x\\\\y"' + b"]" * depth
    parsed = parse("a.jsonl", b'{"a": ' + deep + b'}\n{"m": {"k": 1}}\n{"m": [1]}\n{"m": ' + deep + b"}\n")
    assert parsed.unparsable.is_empty()
    assert parsed.records["a"][0] == "[" * depth + '"x\\\\y"' + "]" * depth  # the escape kept
    assert parsed.records["m"][3] == parsed.records["a"][0]


def test_jsonl_clashing_lines_before_one_long_line_are_split_from_it(read_by_python):
    """The middle of a piece may fall in its last, long line: the piece is then cut before it."""
    lines = [b'{"id": "%d"}' % n for n in range(200)] + [b'{"id": "big", "pad": "%s"}' % (b"x" * 200_000)]
    lines[0], lines[1] = b'{"id": "0", "m": {"a": 1}}', b'{"id": "1", "m": [1]}'
    parsed = parse("a.jsonl", b"\n".join(lines) + b"\n")
    longest_read_by_python = max(map(len, read_by_python))
    assert parsed.records.height == 201 and parsed.records["pad"].str.len_bytes().max() == 200_000
    assert longest_read_by_python < 100  # the short lines only


@pytest.mark.parametrize(
    "name, data",
    [
        ("a.csv", b"event_id,date,_source_line\n1,2024-02-02,7\n"),
        ("a.jsonl", b'{"event_id": "1", "date": "2024-02-02", "_source_line": "7"}\n'),
    ],
)
def test_landed_columns_with_reserved_names_keep_their_data(name, data):
    parsed = parse_landing_file(name, data)
    assert rows(parsed, "event_id", "date_landed", "_source_line_landed") == [
        ("1", "2024-02-02", "7", 2 if name == "a.csv" else 1)
    ]


@pytest.mark.parametrize(
    "name, data",
    [
        ("a.csv", b"event_id,date,date_landed\n1,2024-02-02,kept\n"),
        ("a.jsonl", b'{"event_id": "1", "date": "2024-02-02", "date_landed": "kept"}\n'),
    ],
)
def test_a_reserved_name_beside_its_landed_spelling_keeps_both(name, data):
    """Both formats name columns by one rule: the reserved one becomes date_landed, and the
    landed date_landed, now a repeat, date_landed_2 (a JSON file failed on the clash)."""
    line = 2 if name == "a.csv" else 1
    assert rows(parse_landing_file(name, data), "date_landed", "date_landed_2") == [("2024-02-02", "kept", line)]
