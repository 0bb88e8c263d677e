"""RFC 4180 CSV landing files to text records.

Each record is checked as a whole (valid UTF-8, the RFC 4180 grammar, the header's field count)
with one Polars regular expression; the good records go to Arrow's CSV reader in one call, and
Python touches only the records that fail, to give their raw text and reason. No field is too
large (Python's ``csv`` module refuses fields over 128 KiB).
"""

import csv
import io
import re

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

from pipeline_assets.transforms.landing_file import (
    NOT_UTF8,
    SOURCE_LINE,
    LandingFileError,
    ParsedFile,
    empty_file,
    landed_names,
    require_count,
    split_records,
    unparsable_records,
    with_source,
)

# One RFC 4180 record (its line end removed): fields separated by commas, each either plain text
# without quotes, commas or line breaks, or quoted with inner quotes doubled.
_QUOTED = r'"(?:[^"]|"")*"'
_FIELD = rf'(?:[^",\r\n]*|{_QUOTED})'
_RFC4180_RECORD = rf"{_FIELD}(?:,{_FIELD})*"
# A record's text runs to the next record's start: its line end and any empty lines after it. The
# file's last record may end in a lone CR, a CRLF cut short, which `split_records` and the landing
# count both take as its line end (as Python's csv, pandas and Arrow do).
_RECORD_END = r"(?:\r?\n)*\r?$"
_ONE_REGEX_FIELDS = 4_000


def parse_csv(name: str, data: bytes) -> ParsedFile:
    records = split_records(data, quoted=True)
    if not len(records):
        return empty_file(name)
    utf8 = records.utf8_mask()
    if not utf8[0]:
        raise LandingFileError(f"{name}: the CSV header is not valid UTF-8")
    header_text = data[records.starts[0] : records.ends[0]].decode()
    malformed = _malformed(header_text)
    if malformed:  # a file with CR line ends is one long header: its records would be lost unseen
        raise LandingFileError(f"{name}: the CSV header is not one RFC 4180 record: {malformed}")
    header = _unique_names(next(csv.reader(io.StringIO(header_text, newline=""))))
    good = utf8.copy()
    good[utf8] = _rfc4180_records(records.texts(utf8), len(header)).to_numpy()
    good[0] = False  # the header
    longest = int((records.ends - records.starts).max())
    if good.any():
        table = _read_csv(records.only(good, after_line_feed=True), header, longest)
    else:
        table = pa.table({column: pa.array([], pa.string()) for column in header})
    require_count(name, table.num_rows, good)
    parsed = pl.from_arrow(table)
    assert isinstance(parsed, pl.DataFrame)
    parsed = parsed.with_columns(pl.Series(SOURCE_LINE, records.lines[good]))
    bad = ~good
    bad[0] = False
    raw = records.raw_texts(bad)
    reasons = [_csv_reason(text, len(header)) if ok else NOT_UTF8 for ok, text in zip(utf8[bad], raw, strict=True)]
    unparsable = unparsable_records(name, records.lines[bad], raw, reasons)
    return ParsedFile(with_source(parsed, name), unparsable, len(records) - 1)


def _rfc4180_records(texts: pl.Series, fields: int) -> pl.Series:
    """Which records follow the RFC 4180 grammar with ``fields`` fields: one pass of one regex. Its
    compiled size grows with the count, past Polars' limit beyond about 4,200 fields, so a wider
    header's count is checked on its own (commas outside quoted fields)."""
    if fields <= _ONE_REGEX_FIELDS:
        return texts.str.contains(rf"^{_FIELD}(?:,{_FIELD}){{{fields - 1}}}{_RECORD_END}")
    commas = texts.str.replace_all(_QUOTED, "").str.count_matches(",", literal=True)
    return texts.str.contains(rf"^{_RFC4180_RECORD}{_RECORD_END}") & (commas == fields - 1)


def _csv_reason(text: str, expected_fields: int) -> str:
    """Why a record failed the grammar (Python work for bad records only)."""
    malformed = _malformed(text)
    if malformed:
        return f"malformed CSV: {malformed}"
    found = re.sub(_QUOTED, "", text).count(",") + 1
    return f"wrong field count: expected {expected_fields} fields, found {found}"


def _malformed(text: str) -> str | None:
    """What breaks RFC 4180 in one record's text, if anything."""
    if re.fullmatch(_RFC4180_RECORD, text):
        return None
    if re.fullmatch(_RFC4180_RECORD, text.replace("\r", "")):
        return "a carriage return outside quotes (line ends are LF or CRLF)"
    return "a quote where RFC 4180 allows none (a field with quotes must be quoted whole)"


def _read_csv(data: memoryview, header: list[str], longest_record: int) -> pa.Table:
    """``data`` starts with an empty line (skipped): Arrow drops a byte-order mark at the very
    start of its input, which would otherwise be the first value's own U+FEFF (the file's BOM is
    already gone). Its blocks must hold the longest record, or a large field "straddles two block
    boundaries"."""
    block_size = max(1 << 20, 1 << (2 * longest_record).bit_length())
    return pa_csv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pa_csv.ReadOptions(column_names=header, block_size=block_size),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={column: pa.string() for column in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _unique_names(header: list[str]) -> list[str]:
    """Header names made usable: surrounding white space dropped, a blank one ``column_N`` (its
    position), then `landed_names`."""
    return landed_names([column.strip() or f"column_{position}" for position, column in enumerate(header, start=1)])
