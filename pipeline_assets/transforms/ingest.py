"""Landing files to text records: RFC 4180 CSV and JSON Lines, plain or gzip-compressed.

A well-formed file takes the fast path (Arrow's CSV reader or Polars' NDJSON reader, no Python
loop over records). A file with a broken record falls back to a record-by-record slow path that
keeps every good record and turns each broken one into an *unparsable* row with its raw text.
Either way, every record of the file is accounted for: ``records + unparsable = record_count``.
"""

import csv
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

EVENT_SUFFIXES = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz")
SOURCE_FILE, SOURCE_LINE, INGESTED_AT = "_source_file", "_source_line", "_ingested_at"
# Names the pipeline adds to every record; a landed column with one of them keeps its data as
# "<name>_landed" instead of being overwritten.
RESERVED_NAMES = ("date", SOURCE_FILE, SOURCE_LINE, INGESTED_AT)

UNPARSABLE_SCHEMA = {
    SOURCE_FILE: pl.String,
    SOURCE_LINE: pl.Int64,
    "raw_record": pl.String,
    "reject_reason": pl.String,
}


_BLANK_LINE = re.compile(r"(?:^|\n)[ \t\r\f\v]*\n")


class LandingFileError(ValueError):
    """A landing file that cannot be read at all (for example a corrupt gzip stream)."""


@dataclass(frozen=True)
class ParsedFile:
    records: pl.DataFrame  # one String column per landed field, plus _source_file and _source_line
    unparsable: pl.DataFrame  # UNPARSABLE_SCHEMA
    record_count: int  # CSV rows after the header, or non-blank JSON lines

    @property
    def landed_columns(self) -> list[str]:
        return [c for c in self.records.columns if c not in (SOURCE_FILE, SOURCE_LINE)]


def parse_landing_file(name: str, data: bytes) -> ParsedFile:
    """Parse one landing file; ``name`` is its key in the landing zone (kept on every record)."""
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise LandingFileError(f"{name}: not a readable gzip file ({error})") from None
        format_name = name[: -len(".gz")]
    else:
        format_name = name
    if format_name.endswith(".csv"):
        return _parse_csv(name, data)
    if format_name.endswith(".jsonl"):
        return _parse_jsonl(name, data)
    raise LandingFileError(f"{name}: unsupported file type (expected one of {', '.join(EVENT_SUFFIXES)})")


# -- CSV --------------------------------------------------------------------------------------
def _parse_csv(name: str, data: bytes) -> ParsedFile:
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _parse_csv_slowly(name, data)
    if not text.strip():
        return _empty(name)
    header = next(csv.reader(io.StringIO(text, newline="")))
    if _unique_names(header) != header:
        return _parse_csv_slowly(name, data)  # the slow path names blank and repeated columns
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={column: pa.string() for column in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return _parse_csv_slowly(name, data)
    records = pl.from_arrow(table)
    assert isinstance(records, pl.DataFrame)
    # The physical line each record starts on: the header's lines, then each earlier record's.
    lines_per_record = 1 + pl.sum_horizontal(pl.col(c).str.count_matches("\n") for c in header)
    header_lines = 1 + sum(column.count("\n") for column in header)
    records = records.with_columns(
        (header_lines + 1 + lines_per_record.cum_sum() - lines_per_record).cast(pl.Int64).alias(SOURCE_LINE)
    )
    consumed = header_lines + int(records.select(lines_per_record.sum()).item() or 0)
    if consumed != _line_count(text):
        # Blank lines shift the count; only the slow path knows where they are.
        return _parse_csv_slowly(name, data)
    return ParsedFile(_with_source(records, name), _unparsable_frame([]), records.height)


def _parse_csv_slowly(name: str, data: bytes) -> ParsedFile:
    """Record by record, keeping good records and explaining each broken one."""
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="surrogateescape")
    physical_lines = _physical_lines(text)
    reader = csv.reader(iter(physical_lines))
    good: list[list[str]] = []
    good_lines: list[int] = []
    broken: list[tuple[int, str, str]] = []
    header: list[str] | None = None
    last_line = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            start = last_line + 1
            last_line = reader.line_num
            broken.append((start, _raw_text(physical_lines, start, last_line), f"malformed CSV: {error}"))
            continue
        start, last_line = last_line + 1, reader.line_num
        if not fields:  # a blank line holds no record
            continue
        raw = _raw_text(physical_lines, start, last_line)
        if header is None:
            if _has_surrogates(raw):
                raise LandingFileError(f"{name}: the CSV header is not valid UTF-8")
            header = _unique_names(fields)
            continue
        if _has_surrogates(raw):
            broken.append((start, _printable(raw), "record is not valid UTF-8"))
        elif len(fields) != len(header):
            reason = f"wrong field count: expected {len(header)} fields, found {len(fields)}"
            broken.append((start, raw, reason))
        else:
            good.append(fields)
            good_lines.append(start)
    if header is None:
        return _empty(name)
    columns = {column: [row[i] for row in good] for i, column in enumerate(header)}
    records = pl.DataFrame(columns, schema={c: pl.String for c in header})
    records = records.with_columns(pl.Series(SOURCE_LINE, good_lines, dtype=pl.Int64))
    unparsable = _unparsable_frame([(name, line, raw, reason) for line, raw, reason in broken])
    return ParsedFile(_with_source(records, name), unparsable, len(good) + len(broken))


# -- JSON Lines -------------------------------------------------------------------------------
def _parse_jsonl(name: str, data: bytes) -> ParsedFile:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _parse_jsonl_slowly(name, data)
    if not text.strip():
        return _empty(name)
    if _BLANK_LINE.search(text.rstrip()):
        return _parse_jsonl_slowly(name, data)  # blank lines: line numbers need the slow path
    try:
        # Every key of every line (a full inference pass), then each value read as the JSON text
        # Polars keeps for it (not a float cast): 5 stays "5" beside 6.5, objects keep only their own keys.
        keys = pl.scan_ndjson(io.BytesIO(data), infer_schema_length=None).collect_schema().names()
        records = pl.read_ndjson(io.BytesIO(data), schema={key: pl.String for key in keys})
    except Exception:  # noqa: BLE001 - Polars raises several kinds for bad JSON; all mean "slow path"
        return _parse_jsonl_slowly(name, data)
    records = _keep_reserved(records).with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(SOURCE_LINE))
    return ParsedFile(_with_source(records, name), _unparsable_frame([]), records.height)


def _parse_jsonl_slowly(name: str, data: bytes) -> ParsedFile:
    good: list[dict[str, str | None]] = []
    good_lines: list[int] = []
    broken: list[tuple[str, int, str, str]] = []
    text = data.decode("utf-8", errors="surrogateescape")
    for number, line in enumerate(_physical_lines(text), start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if _has_surrogates(line):
            broken.append((name, number, _printable(line), "record is not valid UTF-8"))
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            broken.append((name, number, line, f"broken JSON: {error.msg} at column {error.colno}"))
            continue
        if not isinstance(value, dict):
            broken.append((name, number, line, f"JSON line is a {type(value).__name__}, not an object"))
            continue
        good.append({key: _json_text(v) for key, v in value.items()})
        good_lines.append(number)
    columns = list(dict.fromkeys(key for record in good for key in record))
    records = _keep_reserved(
        pl.DataFrame({c: [r.get(c) for r in good] for c in columns}, schema={c: pl.String for c in columns})
    ).with_columns(pl.Series(SOURCE_LINE, good_lines, dtype=pl.Int64))
    return ParsedFile(_with_source(records, name), _unparsable_frame(broken), len(good) + len(broken))


def _json_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


# -- shared helpers -----------------------------------------------------------------------------
def _with_source(records: pl.DataFrame, name: str) -> pl.DataFrame:
    return records.with_columns(pl.lit(name, dtype=pl.String).alias(SOURCE_FILE))


def _unparsable_frame(rows: list[tuple[str, int, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=UNPARSABLE_SCHEMA, orient="row")


def _empty(name: str) -> ParsedFile:
    records = pl.DataFrame(schema={SOURCE_LINE: pl.Int64, SOURCE_FILE: pl.String})
    return ParsedFile(records, _unparsable_frame([]), 0)


def _keep_reserved(records: pl.DataFrame) -> pl.DataFrame:
    return records.rename({c: f"{c}_landed" for c in records.columns if c in RESERVED_NAMES})


def _unique_names(header: list[str]) -> list[str]:
    """Header names made usable: a blank one becomes ``column_N`` (its position), a repeated one
    ``name_2``, ``name_3``…, a reserved one ``name_landed``; schema drift is kept and reported,
    never a reason to fail the day."""
    names: list[str] = []
    for position, column in enumerate(header, start=1):
        name = column.strip() or f"column_{position}"
        name = f"{name}_landed" if name in RESERVED_NAMES else name
        candidate, n = name, 1
        while candidate in names:
            n += 1
            candidate = f"{name}_{n}"
        names.append(candidate)
    return names


def _physical_lines(text: str) -> list[str]:
    """Lines ended by "\n" only, ends kept: what the fast path counts (str.splitlines would also
    break at U+2028, form feeds and lone carriage returns inside values)."""
    lines = text.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])


def _line_count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def _raw_text(lines: list[str], first: int, last: int) -> str:
    return "".join(lines[first - 1 : last]).rstrip("\r\n")


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _printable(text: str) -> str:
    """Raw text with undecodable bytes shown as \\xNN escapes (Parquet strings must be UTF-8)."""
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")
