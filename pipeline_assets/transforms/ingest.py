"""Landing files to text records: RFC 4180 CSV and JSON Lines, plain or gzip-compressed.

Every file takes one vectorised path, whatever it holds. Its bytes are split into records with
NumPy (a record ends at a line feed outside quotes); each record is checked as a whole (valid
UTF-8, RFC 4180 grammar or a JSON object, the header's field count) with Polars expressions; the
good records go to Arrow's CSV reader or Polars' NDJSON reader in one call. Python touches only
the records that fail, to show their raw text. So a broken line costs what it costs, not the rest
of its file, and no field is too large (Python's ``csv`` module refuses fields over 128 KiB).

Every record of the file is accounted for: ``records + unparsable = record_count``. The
reconciliation check does not trust that: it compares against `landing_count`, which counts the
same bytes by other code.
"""

import csv
import gzip
import io
import json
import os
import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

from pipeline_assets.transforms import json_text
from pipeline_assets.transforms.memory import return_freed_memory

EVENT_SUFFIXES = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz")
SOURCE_FILE, SOURCE_LINE, INGESTED_AT = "_source_file", "_source_line", "_ingested_at"
EXTRA_COLUMNS = "_extra_columns"  # the raw layer's column of drifted fields (`raw_layer`)
# Names the pipeline adds to every record; a landed column with one of them keeps its data as
# "<name>_landed" instead of being overwritten.
RESERVED_NAMES = ("date", SOURCE_FILE, SOURCE_LINE, INGESTED_AT, EXTRA_COLUMNS)

UNPARSABLE_SCHEMA = {
    SOURCE_FILE: pl.String,
    SOURCE_LINE: pl.Int64,
    "raw_record": pl.String,
    "reject_reason": pl.String,
}

BOM = b"\xef\xbb\xbf"
QUOTE, COMMA, CR, LF, OPEN_BRACE, CLOSE_BRACE = (ord(c) for c in '",\r\n{}')
# One RFC 4180 record (its line end removed): fields separated by commas, each either plain text
# without quotes, commas or line breaks, or quoted with inner quotes doubled.
_QUOTED = r'"(?:[^"]|"")*"'
_FIELD = rf'(?:[^",\r\n]*|{_QUOTED})'
_RFC4180_RECORD = rf"{_FIELD}(?:,{_FIELD})*"
_ONE_REGEX_FIELDS = 4_000
NOT_UTF8 = "record is not valid UTF-8"
# The keys of JSON lines are found a chunk of lines per thread (`_keys_of`).
_KEY_READERS = ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 4), thread_name_prefix="ndjson-keys")
_KEY_CHUNK = 16 * 2**20
_PYTHON_KEYS_BYTES = 64 * 2**10


class LandingFileError(ValueError):
    """A landing file that cannot be read at all (for example a corrupt gzip stream)."""


@dataclass(frozen=True)
class ParsedFile:
    records: pl.DataFrame  # one String column per landed field, plus _source_file and _source_line
    unparsable: pl.DataFrame  # UNPARSABLE_SCHEMA
    record_count: int  # CSV records after the header, or non-blank JSON lines, as this parser split them

    @property
    def landed_columns(self) -> list[str]:
        return [c for c in self.records.columns if c not in (SOURCE_FILE, SOURCE_LINE)]


def decompressed(name: str, data: bytes) -> bytes:
    """The file's content: gunzipped for ``.gz`` names, a byte-order mark removed."""
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise LandingFileError(f"{name}: not a readable gzip file ({error})") from None
    return data.removeprefix(BOM)


def landing_format(name: str) -> str:
    """``csv`` or ``jsonl`` from a landing file's name."""
    plain = name.removesuffix(".gz")
    for suffix in ("csv", "jsonl"):
        if plain.endswith(f".{suffix}"):
            return suffix
    raise LandingFileError(f"{name}: unsupported file type (expected one of {', '.join(EVENT_SUFFIXES)})")


def parse_landing_file(name: str, data: bytes) -> ParsedFile:
    """Parse one landing file; ``name`` is its key in the landing zone (kept on every record)."""
    return parse_content(name, decompressed(name, data))


def parse_content(name: str, content: bytes) -> ParsedFile:
    """Parse a landing file's `decompressed` content."""
    parse = _parse_csv if landing_format(name) == "csv" else _parse_jsonl
    parsed = parse(name, content)
    # The split's NumPy arrays (a few times the file's size) are freed by now, but glibc keeps
    # them in the reader thread's arena: 70-80 MiB for a 1M-record day, held through clean_day,
    # where the day's memory peaks.
    return_freed_memory()
    return parsed


# -- splitting bytes into records ----------------------------------------------------------------
@dataclass(frozen=True)
class _Records:
    """Byte spans of a file's non-blank records, in order: ``data[start:end]`` without its line end."""

    data: bytes
    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray  # the physical line (1-based) each record starts on
    has_blank_lines: bool

    def __len__(self) -> int:
        return len(self.starts)

    def texts(self, valid_utf8: np.ndarray) -> pl.Series:
        """Each record as text, its line end (and blank lines after it) included, sliced from the
        file's buffer without a Python loop. Records that are not valid UTF-8 read as empty."""
        data = self.data
        if not valid_utf8.all():  # a copy with the bad records blanked out: rare, and only then
            patched = bytearray(data)
            for start, end in zip(self.starts[~valid_utf8].tolist(), self.ends[~valid_utf8].tolist(), strict=True):
                patched[start:end] = b" " * (end - start)
            data = bytes(patched)
        offsets = np.append(self.starts, len(data)).astype(np.int64)
        spans = pa.Array.from_buffers(pa.large_string(), len(self), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
        return pl.Series("record", spans)

    def utf8_mask(self) -> np.ndarray:
        """True for records that are valid UTF-8. Decoding runs at C speed and stops only at bad bytes."""
        valid = np.ones(len(self), dtype=bool)
        view, position = memoryview(self.data), 0
        while position < len(self.data):
            try:
                str(view[position:], "utf-8")
                break
            except UnicodeDecodeError as error:
                bad = position + error.start
                record = max(int(np.searchsorted(self.starts, bad, side="right")) - 1, 0)
                valid[record] = False
                position = max(int(self.ends[record]), bad + 1)  # resume after that record
        return valid

    def select(self, mask: np.ndarray) -> "_Records":
        return _Records(self.data, self.starts[mask], self.ends[mask], self.lines[mask], True)

    def raw_texts(self, mask: np.ndarray) -> list[str]:
        """The selected records' raw text, undecodable bytes shown as \\xNN (Parquet strings are UTF-8)."""
        return [
            self.data[s:e].decode("utf-8", errors="backslashreplace")
            for s, e in zip(self.starts[mask].tolist(), self.ends[mask].tolist(), strict=True)
        ]

    def only(self, mask: np.ndarray, after_line_feed: bool = False) -> memoryview:
        """The selected records, each ended by a line feed: what the bulk readers take. With
        ``after_line_feed``, a line feed comes first. Usually a view of the file, not a copy."""
        first = int(np.argmax(mask)) if mask.any() else len(mask)
        if first == len(mask):
            return memoryview(b"")
        if mask[first:].all() and not self.has_blank_lines:  # the usual case: all after the header
            # A record starts just after a line feed, which the view can take along.
            lead = 1 if after_line_feed and self.starts[first] > 0 else 0
            prefix = b"\n" if after_line_feed and not lead else b""
            view = memoryview(self.data)[int(self.starts[first]) - lead :]
            return memoryview(prefix + view) if prefix else view
        starts, ends = self.starts[mask], self.ends[mask]
        size = len(self.data)
        # Each record with its own line end ("\n" or "\r\n": the readers take either, as on the
        # usual path). Records that follow one another in the file are copied as one run, so a
        # few left-out records cost a few slices instead of a pass over every byte of the file.
        crlf = np.frombuffer(self.data, dtype=np.uint8)[np.minimum(ends, size - 1)] == CR
        span_ends = np.minimum(ends + 1 + (crlf & (ends < size)), size)
        breaks = np.flatnonzero(span_ends[:-1] != starts[1:]) + 1
        run_starts = starts[np.concatenate(([0], breaks))].tolist()
        run_ends = span_ends[np.concatenate((breaks - 1, [len(starts) - 1]))].tolist()
        view = memoryview(self.data)
        runs = [view[start:end] for start, end in zip(run_starts, run_ends, strict=True)]
        last_ended = self.data[int(span_ends[-1]) - 1] == LF
        return memoryview(b"".join([b"\n" if after_line_feed else b"", *runs, b"" if last_ended else b"\n"]))


def _split(data: bytes, quoted: bool) -> _Records:
    """Split at every line feed (outside quotes, for CSV), strip a CR before it, drop empty lines."""
    if not data:
        empty = np.zeros(0, dtype=np.int64)
        return _Records(data, empty, empty, empty, False)
    buffer = np.frombuffer(data, dtype=np.uint8)
    line_feeds = np.flatnonzero(buffer == LF)
    ends = line_feeds[_outside_quotes(buffer, line_feeds)] if quoted else line_feeds
    starts = np.concatenate(([0], ends + 1)).astype(np.int64)
    ends = np.concatenate((ends, [len(data)])).astype(np.int64)
    ends -= (ends > starts) & (buffer[np.maximum(ends - 1, 0)] == CR)
    lines = np.searchsorted(line_feeds, starts).astype(np.int64) + 1
    present = ends > starts
    return _Records(data, starts[present], ends[present], lines[present], not present[:-1].all())


def _outside_quotes(buffer: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """True where a byte position lies outside any quoted field.

    Quotes toggle "inside" in pairs. A lone quote that can neither open a field (after a comma, a
    line feed or at the start) nor close one (before a comma, a line end or at the end) is a stray
    quote inside an unquoted field: RFC 4180 forbids it, lenient readers keep it as text, and it
    must not swallow the lines after it, so it does not toggle (its record fails the grammar).
    """
    quotes = np.flatnonzero(buffer == QUOTE)
    if quotes.size:
        last = len(buffer) - 1
        before = np.where(quotes > 0, buffer[np.maximum(quotes - 1, 0)], LF)
        after = np.where(quotes < last, buffer[np.minimum(quotes + 1, last)], LF)
        lone = (before != QUOTE) & (after != QUOTE)
        can_open = (before == COMMA) | (before == LF)
        can_close = (after == COMMA) | (after == CR) | (after == LF)
        quotes = quotes[~(lone & ~can_open & ~can_close)]
    return np.searchsorted(quotes, positions) % 2 == 0


# -- CSV ----------------------------------------------------------------------------------------
def _parse_csv(name: str, data: bytes) -> ParsedFile:
    records = _split(data, quoted=True)
    if not len(records):
        return _empty(name)
    utf8 = records.utf8_mask()
    if not utf8[0]:
        raise LandingFileError(f"{name}: the CSV header is not valid UTF-8")
    header_text = data[records.starts[0] : records.ends[0]].decode()
    malformed = _malformed(header_text)
    if malformed:  # a file with CR line ends is one long header: its records would be lost unseen
        raise LandingFileError(f"{name}: the CSV header is not one RFC 4180 record: {malformed}")
    header = _unique_names(next(csv.reader(io.StringIO(header_text, newline=""))))
    good = utf8 & _rfc4180_records(records.texts(utf8), len(header)).to_numpy()
    good[0] = False  # the header
    longest = int((records.ends - records.starts).max())
    if good.any():
        table = _read_csv(records.only(good, after_line_feed=True), header, longest)
    else:
        table = pa.table({column: pa.array([], pa.string()) for column in header})
    _require_count(name, table.num_rows, good)
    parsed = pl.from_arrow(table)
    assert isinstance(parsed, pl.DataFrame)
    parsed = parsed.with_columns(pl.Series(SOURCE_LINE, records.lines[good]))
    bad = ~good
    bad[0] = False
    raw = records.raw_texts(bad)
    reasons = [_csv_reason(text, len(header)) if ok else NOT_UTF8 for ok, text in zip(utf8[bad], raw, strict=True)]
    unparsable = _unparsable(name, records.lines[bad], raw, reasons)
    return ParsedFile(_with_source(parsed, name), unparsable, len(records) - 1)


def _rfc4180_records(texts: pl.Series, fields: int) -> pl.Series:
    """Which records follow the RFC 4180 grammar with ``fields`` fields: one pass of one regex. Its
    compiled size grows with the count, past Polars' limit beyond about 4,200 fields, so a wider
    header's count is checked on its own (commas outside quoted fields)."""
    if fields <= _ONE_REGEX_FIELDS:
        return texts.str.contains(rf"^{_FIELD}(?:,{_FIELD}){{{fields - 1}}}(?:\r?\n)*$")
    commas = texts.str.replace_all(_QUOTED, "").str.count_matches(",", literal=True)
    return texts.str.contains(rf"^{_RFC4180_RECORD}(?:\r?\n)*$") & (commas == fields - 1)


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


# -- JSON Lines -----------------------------------------------------------------------------------
def _parse_jsonl(name: str, data: bytes) -> ParsedFile:
    records = _split(data, quoted=False)
    utf8 = records.utf8_mask()
    text = records.texts(utf8)  # each line as landed, its line end included: a view of the file
    # Most lines are "{...}" with nothing around: no trimming needed. The others (white space
    # around, blank, not an object, not UTF-8) are trimmed on their own: trimming every line
    # copied the whole file once more (0.7 GB for a 10M-record day).
    buffer = np.frombuffer(data, dtype=np.uint8)
    plain = utf8 & (buffer[records.starts] == OPEN_BRACE) & (buffer[records.ends - 1] == CLOSE_BRACE)
    good = plain.copy()
    if not plain.all():
        others = ~plain
        trimmed = text.filter(others).str.strip_chars()
        blank = np.zeros(len(records), dtype=bool)
        blank[others] = (trimmed.str.len_bytes() == 0).to_numpy() & utf8[others]
        good[others] = utf8[others] & (trimmed.str.starts_with("{") & trimmed.str.ends_with("}")).to_numpy()
        if blank.any():  # lines of white space only hold no record
            records, utf8, text, good = records.select(~blank), utf8[~blank], text.filter(~blank), good[~blank]
    good &= ~json_text.unpaired_surrogates(text)
    # A line that cannot be an object (not "{...}") is refused without parsing; if a line that
    # looks like one still breaks the bulk read, Polars' JSON path match (null for anything that
    # is not one whole strict JSON document) finds every such line, at the cost of one more pass.
    try:
        table = _read_ndjson(records.only(good), text.filter(good))
        _require_count(name, table.height, good)
    except (pl.exceptions.PolarsError, LandingFileError, ValueError):
        # Polars cannot hold every JSON number (`json_text`): the lines that may hold one are
        # checked and read in Python, the rest by Polars.
        in_python = good & text.str.contains(json_text.BEYOND_POLARS).to_numpy()
        in_polars = good & ~in_python & text.str.strip_chars().str.json_path_match("$").is_not_null().to_numpy()
        from_python, objects = json_text.read_lines(text.filter(in_python).to_list())
        in_python[in_python] = objects
        good = in_polars | in_python
        table = _read_ndjson(records.only(in_polars), text.filter(in_polars))
        if from_python.height:  # back in line order: the rows read by Polars come first
            order = np.argsort(np.concatenate([np.flatnonzero(in_polars[good]), np.flatnonzero(in_python[good])]))
            table = pl.concat([table, from_python], how="diagonal").gather(order)
        _require_count(name, table.height, good)
    table = _keep_reserved(table).with_columns(pl.Series(SOURCE_LINE, records.lines[good]))
    bad = ~good
    raw = records.raw_texts(bad)
    reasons = [_json_reason(text) if ok else NOT_UTF8 for ok, text in zip(utf8[bad], raw, strict=True)]
    unparsable = _unparsable(name, records.lines[bad], raw, reasons)
    return ParsedFile(_with_source(table, name), unparsable, len(records))


def _read_ndjson(data: memoryview, lines: pl.Series) -> pl.DataFrame:
    """Every key of every line, each value as text: strings as they are, anything else as JSON.

    ``lines`` holds the same records as ``data``, one per element (white space around them
    included), for the values Polars' reader cannot give as text itself."""
    if lines.is_empty():  # every record given is a non-blank line
        return pl.DataFrame()
    # A view of a whole file is the file itself, which BytesIO shares instead of copying.
    whole = isinstance(data.obj, bytes) and data.nbytes == len(data.obj) and data.contiguous
    data = data.obj if whole else bytes(data)
    keys, nested = _keys_of(data)  # every key of every line, without building columns
    # One pass reads every value as text: a string as it is, any other value as JSON text of an
    # equal value (5 stays "5" beside 6.5; an object keeps only its own keys). Reading typed
    # values first and casting them took twice as long (the typed columns were built, then cast).
    table = pl.read_ndjson(io.BytesIO(data), schema={key: pl.String for key in keys})
    # That reader keeps a nested value's landed text but drops the escapes inside it, so a nested
    # value whose line holds a backslash is taken again from its line, in Python: only those rows.
    # A text column may hold nested values too (a key that is text on some lines); there the line
    # itself says whether the key's value opens an object or array. JSON may spell a key with
    # escapes ("\/", "\u0061"): a line where the key is not found as written is read again.
    escaped = lines.str.contains("\\", literal=True)
    for key in keys:
        value = table[key]
        redo = ((value.str.starts_with("{") | value.str.starts_with("[")) & escaped).fill_null(False)
        if not redo.any():
            continue
        rows = redo.arg_true()
        if key not in nested:  # the regular expressions run on the candidate lines only
            candidates = lines.gather(rows)
            spelled = re.escape(json.dumps(key, ensure_ascii=False))
            opens = candidates.str.contains(spelled + r"\s*:\s*[\[{]")
            rows = rows.filter(opens | ~candidates.str.contains(spelled + r"\s*:"))
            if rows.is_empty():
                continue
        with json_text.as_deep_as_polars():
            values = [json.loads(line)[key] for line in lines.gather(rows).str.strip_chars().to_list()]
            fixed = [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in values]
        table = table.with_columns(value.scatter(rows, pl.Series(fixed, dtype=pl.String)))
    return table


def _keys_of(data: bytes) -> tuple[list[str], list[str]]:
    """Every key of the JSON lines in ``data``, and those with a nested value. Polars infers a
    schema on one thread, a pass that took twice as long as the read itself, so the lines are
    inferred a chunk at a time on several threads (each chunk copied only while it is inferred:
    the reader takes bytes, not a view). The keys come in the order the chunks first show them,
    which is not always the order Polars gives a whole file (its merge of key orders depends on
    where the lines are cut); nothing downstream reads columns by position."""
    bounds = [0]
    while bounds[-1] < len(data):
        line_end = data.find(b"\n", bounds[-1] + _KEY_CHUNK)
        bounds.append(len(data) if line_end < 0 else line_end + 1)
    spans = zip(bounds, bounds[1:], strict=False)
    found = [part for parts in _KEY_READERS.map(lambda span: _keys_in(data, *span), spans) for part in parts]
    keys = list(dict.fromkeys(key for names, _ in found for key in names))
    nested = set().union(*(nested for _, nested in found))
    return keys, [key for key in keys if key in nested]


def _keys_in(data: bytes, start: int, end: int) -> list[tuple[list[str], set[str]]]:
    """The keys, and the nested ones, of the lines in ``data[start:end]``, as Polars infers them.
    Where one key's values there have no common type (an object on one line, a list on another),
    inference fails, and each half is inferred on its own; a few lines (`_PYTHON_KEYS_BYTES`) are
    read in Python. So Python reads at most a few lines around each such clash, not the file."""
    chunk = data if (start, end) == (0, len(data)) else data[start:end]
    try:
        schema = pl.scan_ndjson(io.BytesIO(chunk), infer_schema_length=None).collect_schema()
    except pl.exceptions.SchemaError:
        # A line end near the middle: after it, or else before it (the piece may end in one long line).
        middle = data.find(b"\n", (start + end) // 2, end - 1)
        middle = data.rfind(b"\n", start, (start + end) // 2) if middle < 0 else middle
        if end - start <= _PYTHON_KEYS_BYTES or middle < 0:
            with json_text.as_deep_as_polars():  # a CR is white space: split at line feeds only
                values = [json.loads(line) for line in chunk.split(b"\n") if line.strip()]
            names = list(dict.fromkeys(key for value in values for key in value))
            return [(names, {key for value in values for key, v in value.items() if isinstance(v, dict | list)})]
        return _keys_in(data, start, middle + 1) + _keys_in(data, middle + 1, end)
    return [(schema.names(), {key for key, dtype in schema.items() if dtype.is_nested()})]


def _json_reason(text: str) -> str:
    """Why a line that Polars refused is not a JSON object (Python work for bad lines only)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return f"broken JSON: {error.msg} at column {error.colno}"
    except RecursionError:  # JSON lets a reader limit nesting (RFC 8259, 9); Polars stops at 1,024
        return "JSON nested too deeply to read (over 1,000 levels)"
    if not isinstance(value, dict):
        return f"JSON line is a {type(value).__name__}, not an object"
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json_text.UNPAIRED_SURROGATE
    return "broken JSON: not strict JSON (NaN or Infinity)"


def _require_count(name: str, parsed: int, good: np.ndarray) -> None:
    """The bulk reader must return one row per record it was given; anything else is a bug to stop on."""
    if parsed != int(good.sum()):
        raise LandingFileError(f"{name}: the reader returned {parsed} records where {int(good.sum())} were given")


# -- shared helpers -----------------------------------------------------------------------------
def _with_source(records: pl.DataFrame, name: str) -> pl.DataFrame:
    return records.with_columns(pl.lit(name, dtype=pl.String).alias(SOURCE_FILE))


def _unparsable(name: str, lines: np.ndarray, raw: list[str], reasons: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {SOURCE_FILE: [name] * len(raw), SOURCE_LINE: lines, "raw_record": raw, "reject_reason": reasons},
        schema=UNPARSABLE_SCHEMA,
    )


def _empty(name: str) -> ParsedFile:
    records = pl.DataFrame(schema={SOURCE_LINE: pl.Int64, SOURCE_FILE: pl.String})
    return ParsedFile(records, pl.DataFrame(schema=UNPARSABLE_SCHEMA), 0)


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
