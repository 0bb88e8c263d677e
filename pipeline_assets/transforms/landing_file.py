"""A landing file as the parsers see it: the names they add, what a parsed file is, and its bytes
split into records.

A file's bytes are split into records with NumPy (a record ends at a line feed, outside quotes in
CSV); `csv_file` and `jsonl_file` check each record as a whole and read the good ones in bulk.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

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

QUOTE, COMMA, CR, LF, OPEN_BRACE, CLOSE_BRACE = (ord(c) for c in '",\r\n{}')
NOT_UTF8 = "record is not valid UTF-8"
_CHUNK = 16 * 2**20  # bytes decoded or searched at a time


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


@dataclass(frozen=True)
class Records:
    """Byte spans of a file's non-blank records, in order: ``data[start:end]`` without its line end."""

    data: bytes
    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray  # the physical line (1-based) each record starts on
    has_blank_lines: bool

    def __len__(self) -> int:
        return len(self.starts)

    def texts(self, selected: np.ndarray) -> pl.Series:
        """The selected records as text, each with its line end (and blank lines after it),
        sliced from the file's buffer without a Python loop. Their bytes are copied (into Polars'
        strings), so select only what needs text: the text of every line of a 10M-record day's
        JSON Lines file, held through its parse, made the day's memory peak. Each selected record
        must be valid UTF-8 (`utf8_mask`)."""
        spans = self._spans(pa.large_string(), 0, len(self))
        return pl.Series("record", spans if selected.all() else spans.filter(pa.array(selected)))

    def holding(self, pattern: bytes) -> np.ndarray:
        """Which records hold ``pattern``: Polars' byte search (as bytes: a record need not be
        valid UTF-8). A record here runs to the next one's start: its line end and the blank lines
        after it are searched too, so the pattern must hold a visible byte."""
        return self._search(lambda spans, _: spans.bin.contains(pattern).to_numpy())

    def matching(self, regex: str, among: np.ndarray) -> np.ndarray:
        """Which of the records ``among`` (each valid UTF-8: `utf8_mask`) match ``regex``, as
        text running to the next record's start (its line end and the blank lines after it)."""

        def test(spans: pl.Series, rows: slice) -> np.ndarray:
            wanted = among[rows]
            found = np.zeros(len(wanted), dtype=bool)
            texts = spans if wanted.all() else spans.filter(pl.Series(wanted))
            found[wanted] = texts.cast(pl.String).str.contains(regex).to_numpy()
            return found

        return self._search(test) if among.any() else np.zeros(len(self), dtype=bool)

    def _search(self, test: Callable[[pl.Series, slice], np.ndarray]) -> np.ndarray:
        """``test`` over the records as bytes, a chunk of records at a time (given with their
        rows), so that the file's text is never whole in memory."""
        found, first = np.zeros(len(self), dtype=bool), 0
        while first < len(self):
            last = max(int(np.searchsorted(self.starts, self.starts[first] + _CHUNK)), first + 1)
            found[first:last] = test(pl.Series(self._spans(pa.large_binary(), first, last)), slice(first, last))
            first = last
        return found

    def _spans(self, arrow_type: pa.DataType, first: int, last: int) -> pa.Array:
        """Records ``first`` to ``last`` (excluded), each running to the next one's start, as an
        Arrow array over the file's own buffer (no copy)."""
        offsets = np.append(self.starts[first:last], self.starts[last] if last < len(self) else len(self.data))
        return pa.Array.from_buffers(
            arrow_type, last - first, [None, pa.py_buffer(offsets.astype(np.int64)), pa.py_buffer(self.data)]
        )

    def utf8_mask(self) -> np.ndarray:
        """True for records that are valid UTF-8. Decoding runs at C speed and stops only at bad
        bytes, a chunk at a time: decoding the whole file at once held a copy of it as text (730
        MiB for a 10M-record day's JSON Lines file). Chunks end after a line feed, a byte no
        multi-byte character holds."""
        valid = np.ones(len(self), dtype=bool)
        data, view, position = self.data, memoryview(self.data), 0
        while position < len(data):
            line_feed = data.find(b"\n", position + _CHUNK)
            end = len(data) if line_feed < 0 else line_feed + 1
            try:
                str(view[position:end], "utf-8")
                position = end
            except UnicodeDecodeError as error:
                bad = position + error.start
                record = max(int(np.searchsorted(self.starts, bad, side="right")) - 1, 0)
                valid[record] = False
                position = max(int(self.ends[record]), bad + 1)  # resume after that record
        return valid

    def select(self, mask: np.ndarray) -> "Records":
        return Records(self.data, self.starts[mask], self.ends[mask], self.lines[mask], True)

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


def split_records(data: bytes, quoted: bool) -> Records:
    """Split at every line feed (outside quotes, for CSV), strip a CR before it, drop empty lines."""
    if not data:
        empty = np.zeros(0, dtype=np.int64)
        return Records(data, empty, empty, empty, False)
    buffer = np.frombuffer(data, dtype=np.uint8)
    line_feeds = np.flatnonzero(buffer == LF)
    ends = line_feeds[_outside_quotes(buffer, line_feeds)] if quoted else line_feeds
    starts = np.concatenate(([0], ends + 1)).astype(np.int64)
    ends = np.concatenate((ends, [len(data)])).astype(np.int64)
    ends -= (ends > starts) & (buffer[np.maximum(ends - 1, 0)] == CR)
    lines = np.searchsorted(line_feeds, starts).astype(np.int64) + 1
    present = ends > starts
    return Records(data, starts[present], ends[present], lines[present], not present[:-1].all())


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


def require_count(name: str, parsed: int, good: np.ndarray) -> None:
    """The bulk reader must return one row per record it was given; anything else is a bug to stop on."""
    if parsed != int(good.sum()):
        raise LandingFileError(f"{name}: the reader returned {parsed} records where {int(good.sum())} were given")


def with_source(records: pl.DataFrame, name: str) -> pl.DataFrame:
    return records.with_columns(pl.lit(name, dtype=pl.String).alias(SOURCE_FILE))


def unparsable_records(name: str, lines: np.ndarray, raw: list[str], reasons: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {SOURCE_FILE: [name] * len(raw), SOURCE_LINE: lines, "raw_record": raw, "reject_reason": reasons},
        schema=UNPARSABLE_SCHEMA,
    )


def empty_file(name: str) -> ParsedFile:
    records = pl.DataFrame(schema={SOURCE_LINE: pl.Int64, SOURCE_FILE: pl.String})
    return ParsedFile(records, pl.DataFrame(schema=UNPARSABLE_SCHEMA), 0)


def landed_names(names: list[str]) -> list[str]:
    """The columns' names in the parsed records, for a file's own (a CSV header's, a JSON file's
    keys): a reserved one becomes ``name_landed``, and a name given before ``name_2``,
    ``name_3``… Schema drift is kept and reported, never a reason to fail the day."""
    unique: list[str] = []
    for name in names:
        name = f"{name}_landed" if name in RESERVED_NAMES else name
        candidate, n = name, 1
        while candidate in unique:
            n += 1
            candidate = f"{name}_{n}"
        unique.append(candidate)
    return unique
