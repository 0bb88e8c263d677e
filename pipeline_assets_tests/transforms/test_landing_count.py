"""The independent landing count: its own grammar, any block size, and agreement with the parser."""

import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_assets.transforms import landing_count
from pipeline_assets.transforms.ingest import parse_landing_file
from pipeline_assets.transforms.landing_count import count_landing_records

# Bytes made mostly of what CSV and JSON Lines grammar turns on, plus text and a byte that is not UTF-8.
PIECES = [b'"', b",", b"\r", b"\n", b"\r\n", b"a", b"{}", b'{"k": 1}', b"[1]", b" ", b"\xff", b'""']
NOT_JSON_SPACE = [b"\x0c", "\u00a0".encode()]  # white space to Unicode, a record's text to JSON
TRICKY = st.lists(st.sampled_from(PIECES + NOT_JSON_SPACE), max_size=60).map(b"".join)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.csv", b"", 0),
        ("a.csv", b"h\n", 0),
        ("a.csv", b"h\r\n1\r\n\r\n2", 2),
        ("a.csv", b'h,x\n"a\nb",1\n3,4\n', 2),  # a line break inside quotes ends no record
        ("a.csv", b'h\nab"c\nd\n', 2),  # a stray quote in an unquoted field does not open quotes
        ("a.csv", b'h\n"unterminated\n1\n2\n', 1),  # an open quote runs to the end of the file
        ("a.csv", b"\n\nh\n1\n", 1),
        ("a.csv.gz", gzip.compress(b"h\n1\n2\n", mtime=0), 2),  # mtime 0: the same test id in every worker
        ("a.jsonl", b'{"a":1}\n  \n{"b":2}', 2),
        ("a.jsonl", b"{}\r\n{}\r\n", 2),
        ("a.jsonl", b" \t\n\n", 0),
        # White space to Unicode, not to JSON: each line is a (broken) record.
        ("a.jsonl", b'{}\n\x0c\n\xc2\xa0\n\x0b\n{"a":1}\xe3\x80\x80\n', 5),
    ],
)
def test_counts_records_as_the_contract_defines_them(name, data, expected):
    assert count_landing_records(name, data) == expected


@settings(max_examples=300, deadline=None)
@given(data=TRICKY, block=st.integers(1, 7), name=st.sampled_from(["a.csv", "a.jsonl"]))
def test_the_count_does_not_depend_on_the_block_size(data, block, name):
    whole = count_landing_records(name, data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(landing_count, "BLOCK", block)
        assert count_landing_records(name, data) == whole


@settings(max_examples=300, deadline=None)
@given(body=TRICKY, name=st.sampled_from(["a.csv", "a.jsonl"]))
def test_the_parser_accounts_for_every_record_the_bytes_hold(body, name):
    """Two implementations of one grammar: every record counted is parsed or rejected, once."""
    data = (b"h,x\n" if name == "a.csv" else b"") + body
    try:
        parsed = parse_landing_file(name, data)
    except ValueError:  # e.g. a CSV header that is not UTF-8: the file fails as a whole
        return
    assert parsed.records.height + parsed.unparsable.height == count_landing_records(name, data)
