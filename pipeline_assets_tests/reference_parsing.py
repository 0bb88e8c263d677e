"""Independent readings of the data contract's grammars, and Hypothesis strategies that write
landing data the way *other* tools do (not the way ``pipeline_assets.generator`` does).

The property tests in ``transforms/test_ingest_properties.py`` and
``transforms/test_clean_properties.py`` compare the pipeline with the references below. The
references are plain Python (bytes, ``json``, ``re``, ``datetime``, ``decimal``), written from
the contract, never calling pipeline code; every shared strategy lives here.

Sections:
  1. RFC 4180 CSV: a byte-level reader, the header-name rule, a writer strategy.
  2. JSON Lines: a value comparison and a writer strategy.
  3. ISO-8601 instants: the accepted grammar, a reference parser, legal/illegal spellings.
  4. Decimals: the accepted grammar, a reference parser, legal/illegal spellings.
"""

from __future__ import annotations

import calendar
import gzip
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from hypothesis import strategies as st

# Names the pipeline adds to every record (the contract's lineage columns and the partition
# column); a landed column with one of them keeps its data as "<name>_landed".
RESERVED_NAMES = ("date", "_source_file", "_source_line", "_ingested_at")
EVENT_COLUMNS = (
    "event_id", "user_id", "session_id", "event_type", "event_ts",
    "amount", "currency", "country", "device", "metadata",
)  # fmt: skip
BOM = b"\xef\xbb\xbf"

# Byte sequences that are not UTF-8 and cannot become UTF-8 with any neighbour that starts or
# ends a whole character (a lone lead byte is never followed by a continuation byte there).
INVALID_UTF8 = (
    b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98",
    b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
)  # fmt: skip


# A high surrogate escape not followed by a low one, or a low one alone; json.dumps escapes a
# character beyond the BMP as a high-low pair, so no neighbour written by it completes a pair.
LONE_SURROGATE_ESCAPES = (b"\\ud800", b"\\uDBFF", b"\\udc00", b"\\uDFFF", b"\\ud83d")


def stored(name: str, plain: bytes) -> bytes:
    """A landing file's bytes as stored: gzip-compressed (deterministically) for ``.gz`` names."""
    return gzip.compress(plain, mtime=0) if name.endswith(".gz") else plain


def shown(raw: bytes) -> set[str]:
    """The acceptable text forms of a raw record: its UTF-8 text, or, when it holds bytes that are
    not UTF-8, that text with those bytes escaped (\\xNN) or replaced (U+FFFD)."""
    try:
        return {raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {raw.decode("utf-8", errors="backslashreplace"), raw.decode("utf-8", errors="replace")}


# =============================================================================================
# 1. RFC 4180 CSV
# =============================================================================================
@dataclass(frozen=True)
class CsvRecord:
    line: int  # 1-based physical line (counting "\n") the record starts on
    raw: bytes  # the record's bytes, without its line end
    fields: tuple[bytes, ...]


_UNQUOTED = re.compile(rb'(?:[^,"\r\n]|\r(?!\n))*')  # RFC 4180 TEXTDATA (a lone CR kept, as the writer never makes one)


def read_rfc4180(data: bytes) -> list[CsvRecord]:
    """Every record of a CSV file (header included), per RFC 4180 with LF or CRLF line ends.

    Works on bytes (every delimiter is ASCII), so records holding bytes that are not UTF-8 are
    still delimited. A leading UTF-8 BOM is not data. A line end with nothing before it on its
    line (an empty line, or a lone CR before LF) is a blank line: no record.
    """
    data = data.removeprefix(BOM)
    records: list[CsvRecord] = []
    i, line, n = 0, 1, len(data)

    def line_end(at: int) -> int:  # length of the line end at ``at`` (0 if none)
        if data.startswith(b"\r\n", at):
            return 2
        return 1 if data.startswith(b"\n", at) else 0

    while i < n:
        if skip := line_end(i):  # blank line
            i, line = i + skip, line + 1
            continue
        start, start_line, fields = i, line, []
        while True:
            if data.startswith(b'"', i):
                value, j = bytearray(), i + 1
                while True:
                    close = data.find(b'"', j)
                    if close < 0:
                        raise ValueError(f"unterminated quoted field starting on line {start_line}")
                    value += data[j:close]
                    if data.startswith(b'""', close):
                        value += b'"'
                        j = close + 2
                    else:
                        break
                line += data.count(b"\n", i, close)
                i = close + 1
                fields.append(bytes(value))
            else:
                match = _UNQUOTED.match(data, i)
                fields.append(match.group())
                i = match.end()
            if i >= n:
                end = i
                break
            if data.startswith(b",", i):
                i += 1
                continue
            if skip := line_end(i):
                end = i
                i, line = i + skip, line + 1
                break
            raise ValueError(f"unexpected byte {data[i : i + 1]!r} in the record starting on line {start_line}")
        records.append(CsvRecord(start_line, data[start:end], tuple(fields)))
    return records


def expected_column_names(header: list[str]) -> list[str]:
    """The project's documented rule for turning a CSV header into column names (see
    ``csv_file._unique_names``): surrounding whitespace is not part of a name, a blank name becomes
    ``column_<position>``, a reserved name ``<name>_landed``, a repeated one ``<name>_2``, ``_3``…
    (The contract only says "columns are matched by header name"; this is the project's reading.)
    """
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


_RUN = re.compile(r"(.{1,8}?)\1{15,}", re.DOTALL)


def compact_repr(value: object) -> str:
    """``repr`` that writes long repeated runs in strings and bytes as ``'unit' * count``: failing
    examples with values over 128 KiB stay readable, and still evaluate to the same value."""
    if isinstance(value, str | bytes):
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        back = (lambda t: t.encode("latin-1")) if isinstance(value, bytes) else (lambda t: t)
        parts, position = [], 0
        for run in _RUN.finditer(text):
            if run.start() > position:
                parts.append(repr(back(text[position : run.start()])))
            unit = run.group(1)
            parts.append(f"{back(unit)!r} * {len(run.group()) // len(unit)}")
            position = run.start() + len(run.group()) // len(unit) * len(unit)
        if position < len(text) or not parts:
            parts.append(repr(back(text[position:])))
        return " + ".join(parts) if len(parts) == 1 else "(" + " + ".join(parts) + ")"
    if isinstance(value, list | tuple):
        inner = ", ".join(compact_repr(v) for v in value) + (
            "," if isinstance(value, tuple) and len(value) == 1 else ""
        )
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{compact_repr(k)}: {compact_repr(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _dataclass_repr(self) -> str:
    fields_ = ", ".join(f"{name}={compact_repr(getattr(self, name))}" for name in self.__dataclass_fields__)
    return f"{type(self).__name__}({fields_})"


def _repr_pretty_(self, printer, cycle) -> None:  # what Hypothesis prints for a failing example
    printer.text(repr(self))


@dataclass(frozen=True, repr=False)
class LandingFile:
    """A generated landing file plus what the writer meant (used to check the reference reader)."""

    name: str
    plain: bytes  # the content; stored gzip-compressed for .gz names (see ``data``)
    header: list[str]
    good: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line, value by header name)
    bad: list[tuple[int, bytes]] = field(default_factory=list)  # (line, raw bytes without line end)

    __repr__ = _dataclass_repr
    _repr_pretty_ = _repr_pretty_

    @property
    def data(self) -> bytes:
        return stored(self.name, self.plain)


# Text that stresses CSV: delimiters, quotes, line breaks of every kind, Unicode line/paragraph
# separators, BOMs and NULs, non-ASCII, surrounding spaces, plus arbitrary Unicode.
_TRICKY = st.sampled_from(
    [",", '"', '""', "\r", "\n", "\r\n", "\n\r", " ", "\t", "\u2028", "\u2029", "\x85", "\x0c",
     "\ufeff", "\x00", "é", "日本", "😀", "a,b", ' "x" ', "'", "\\", "=1+2"]
)  # fmt: skip
field_text = st.lists(st.one_of(st.text(max_size=6), _TRICKY), max_size=5).map("".join)
# Long values: over 128 KiB (the csv module's default field limit) up to ~1.5 MiB of UTF-8.
long_text = st.tuples(
    st.lists(st.one_of(st.text(min_size=1, max_size=4), _TRICKY), min_size=1, max_size=4).map("".join),
    st.integers(128 * 1024 + 1, 400_000),
).map(lambda t: t[0] * (t[1] // len(t[0]) + 1))

header_name = st.one_of(
    st.text(min_size=1, max_size=8),
    _TRICKY,
    st.sampled_from(EVENT_COLUMNS + RESERVED_NAMES + ("column_1", "date_landed", " amount", "amount ", "x y")),
).filter(lambda s: s != "" and not s.startswith("\ufeff"))  # a leading U+FEFF would be a BOM


@dataclass(frozen=True)
class CsvStyle:
    eol: str  # "\n" or "\r\n"
    quoting: str  # "minimal", "all" or "random"
    bom: bool
    trailing_newline: bool
    gzip: bool


csv_styles = st.builds(
    CsvStyle,
    eol=st.sampled_from(["\n", "\r\n"]),
    quoting=st.sampled_from(["minimal", "all", "random"]),
    bom=st.booleans(),
    trailing_newline=st.booleans(),
    gzip=st.booleans(),
)


def _needs_quotes(text: str, alone: bool) -> bool:
    # RFC 4180: a field holding a comma, a quote, CR or LF must be quoted. An empty field alone on
    # its line must be too, or the line would be blank (no record).
    return any(c in text for c in ',"\r\n') or (alone and text == "")


def _csv_field(draw, parts: tuple[str, ...], style: CsvStyle, alone: bool) -> bytes:
    """One field; ``parts`` are text pieces joined by invalid UTF-8 bytes (usually one piece)."""
    text = "".join(parts)
    quote = (
        _needs_quotes(text, alone and len(parts) == 1)  # bad bytes alone make no blank line
        or style.quoting == "all"
        or (style.quoting == "random" and draw(st.booleans()))
    )
    pieces = [p.replace('"', '""').encode() if quote else p.encode() for p in parts]
    bad = [draw(st.sampled_from(INVALID_UTF8)) for _ in parts[1:]]
    body = pieces[0] + b"".join(b + p for b, p in zip(bad, pieces[1:], strict=True))
    return b'"' + body + b'"' if quote else body


@st.composite
def csv_files(draw, broken: bool = False, blank_lines: bool = False) -> LandingFile:
    """A CSV landing file as another tool may write it: header in any column order, any quoting
    that RFC 4180 allows, LF or CRLF, BOM or not, trailing line end or not, gzip or not; with
    ``broken``, records with a wrong field count or with bytes that are not UTF-8 mixed in; with
    ``blank_lines``, empty lines anywhere (they are not records but count as lines)."""
    style = draw(csv_styles)
    header = draw(st.lists(header_name, min_size=1, max_size=6, unique=True))
    n = len(header)
    long_cell = draw(st.integers(0, 7)) == 7  # one long value in about one file of eight (shrinks to none)
    kinds = draw(st.lists(st.sampled_from(["good", "good", "count", "utf8"] if broken else ["good"]), max_size=8))
    if long_cell and not kinds:
        kinds = ["good"]
    long_at = (draw(st.integers(0, len(kinds) - 1)), draw(st.integers(0, n - 1))) if long_cell else None

    chunks: list[bytes] = []  # each a line's content, in order; joined by the line end
    text_lines = [1]  # the physical line the next chunk starts on

    def blank():
        if blank_lines:
            for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 3)) == 0 else 0):
                add(b"")

    def add(chunk: bytes) -> int:
        line = text_lines[0]
        chunks.append(chunk)
        text_lines[0] += chunk.count(b"\n") + 1
        return line

    blank()
    header_bytes = b",".join(_csv_field(draw, (h,), style, alone=n == 1) for h in header)
    add(header_bytes)
    good: list[tuple[int, dict[str, str]]] = []
    bad: list[tuple[int, bytes]] = []
    for index, kind in enumerate(kinds):
        blank()
        if kind == "count":
            size = draw(st.integers(1, n + 3).filter(lambda k: k != n))
            values = [(draw(field_text),) for _ in range(size)]
        else:
            values = [(draw(field_text),) for _ in range(n)]
            if long_at and long_at[0] == index:
                values[long_at[1]] = (draw(long_text),)
            if kind == "utf8":
                at = draw(st.integers(0, n - 1))
                values[at] = (*values[at], draw(field_text))  # invalid bytes between two pieces
        record = b",".join(_csv_field(draw, v, style, alone=len(values) == 1) for v in values)
        line = add(record)
        if kind == "good":
            good.append((line, dict(zip(header, (v[0] for v in values), strict=True))))
        else:
            bad.append((line, record))
    blank()
    eol = style.eol.encode()
    data = eol.join(chunks) + (eol if style.trailing_newline else b"")
    data = (BOM if style.bom else b"") + data
    name = "events/date=2024-03-01/landed.csv" + (".gz" if style.gzip else "")
    return LandingFile(name, data, header, good, bad)


# =============================================================================================
# 2. JSON Lines
# =============================================================================================
def json_number_text(text: str) -> object:
    """A JSON text read with every number as the exact decimal it spells (``Decimal``), so that
    "1e2", "100" and "100.0" are one number, as in JSON, and no float rounding hides a change."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constant)


def same_json(a: object, b: object) -> bool:
    """JSON equality of two values read by ``json_number_text``: numbers by exact value, a boolean
    never equal to a number, objects/arrays member by member."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def read_jsonl(data: bytes) -> tuple[list[tuple[int, dict]], list[tuple[int, bytes]]]:
    """(objects, broken lines) of a JSON Lines file, each with its 1-based line. A line is ended by
    LF (a CR before it is JSON whitespace); a line of only JSON whitespace is blank: no record; a
    line that is not UTF-8, not JSON, JSON but not an object, or an object holding a string that
    is not Unicode text (a surrogate escape outside a pair) is broken."""
    good: list[tuple[int, dict]] = []
    bad: list[tuple[int, bytes]] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        raw = line.removesuffix(b"\r")
        if not line.strip(b" \t\r"):
            continue
        try:
            value = json.loads(line.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError):
            bad.append((number, raw))
            continue
        if isinstance(value, dict) and _unicode(value):
            good.append((number, value))
        else:
            bad.append((number, raw))
    return good, bad


def _unicode(value: object) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # json.loads takes a lone surrogate escape; UTF-8 has no such character
        return False
    return True


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # Python's json takes NaN and Infinity; JSON does not


json_text = st.one_of(st.text(max_size=6), _TRICKY, st.sampled_from(["/", "</script>", "\\u0041", '\\"']))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(),  # beyond 64 bits too: JSON numbers have no size limit
    st.floats(allow_nan=False, allow_infinity=False),
    json_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_text, inner, max_size=3),
    max_leaves=6,
)
# Keys overlap between lines (a shared pool) so that one column holds many kinds of value.
json_keys = st.one_of(st.sampled_from(EVENT_COLUMNS + ("x", "y", "metadata")), json_text).filter(
    lambda k: k not in RESERVED_NAMES
)
json_objects = st.dictionaries(json_keys, json_values, max_size=6)


@dataclass(frozen=True)
class JsonStyle:
    eol: str
    separators: tuple[str, str]
    ensure_ascii: bool  # \uXXXX escapes (surrogate pairs beyond the BMP) or raw UTF-8
    escape_slash: bool  # "\/" as some tools (PHP) write it
    trailing_newline: bool
    gzip: bool


json_styles = st.builds(
    JsonStyle,
    eol=st.sampled_from(["\n", "\r\n"]),
    separators=st.sampled_from([(",", ":"), (", ", ": "), (" , ", " : "), (",\t", ":\t")]),
    ensure_ascii=st.booleans(),
    escape_slash=st.booleans(),
    trailing_newline=st.booleans(),
    gzip=st.booleans(),
)


def dump_json(value: object, style: JsonStyle) -> bytes:
    text = json.dumps(value, ensure_ascii=style.ensure_ascii, separators=style.separators)
    if style.escape_slash:
        text = text.replace("/", "\\/")  # "/" only occurs inside strings in JSON text
    return text.encode()


@dataclass(frozen=True, repr=False)
class JsonlFile:
    name: str
    plain: bytes  # the content; stored gzip-compressed for .gz names (see ``data``)
    good: list[tuple[int, dict]]  # (line, object)
    bad: list[tuple[int, bytes]]  # (line, raw bytes without line end)

    __repr__ = _dataclass_repr
    _repr_pretty_ = _repr_pretty_

    @property
    def data(self) -> bytes:
        return stored(self.name, self.plain)


# Characters Unicode (and Python's str.strip) calls white space that JSON does not: a line of only
# these is a broken record, not a blank line, and an object with one around it is not JSON.
NOT_JSON_SPACE = ["\u00a0", "\x0b", "\x0c", "\u0085", "\u2028", "\u3000", "\ufeff"]


@st.composite
def broken_json_line(draw, style: JsonStyle) -> bytes:
    kind = draw(st.sampled_from(["truncated", "not_object", "utf8", "lone_surrogate", "not_json_space"]))
    if kind == "not_json_space":  # white space to Unicode but not to JSON (RFC 8259, 2): alone, or around an object
        space = draw(st.sampled_from(NOT_JSON_SPACE)).encode()
        around = draw(st.sampled_from(["alone", "before", "after"]))
        value = b"" if around == "alone" else dump_json(draw(json_objects), style)
        return value + space if around == "after" else space + value
    if kind == "truncated":  # a proper prefix of an object is never JSON (it lacks the final "}")
        text = dump_json(draw(json_objects), style).decode()
        return text[: draw(st.integers(1, len(text) - 1))].encode()
    if kind == "not_object":
        value = draw(json_values.filter(lambda v: not isinstance(v, dict)))
        return dump_json(value, style)
    key, before, after = draw(json_text), draw(json_text), draw(json_text)
    quote = lambda s: json.dumps(s, ensure_ascii=style.ensure_ascii)[1:-1].encode()  # noqa: E731
    # Bytes that are not UTF-8, or a surrogate escape outside a pair: JSON grammar, not Unicode text.
    middle = draw(st.sampled_from(INVALID_UTF8 if kind == "utf8" else LONE_SURROGATE_ESCAPES))
    return (
        b'{"' + quote(key) + b'"' + style.separators[1].encode()
        + b'"' + quote(before) + middle + quote(after) + b'"}'
    )  # fmt: skip


@st.composite
def jsonl_files(draw, broken: bool = False) -> JsonlFile:
    style = draw(json_styles)
    eol = style.eol.encode()
    kinds = draw(st.lists(st.sampled_from(["good", "good", "blank", *(["bad"] * 2 if broken else [])]), max_size=8))
    lines, good, bad = [], [], []
    for number, kind in enumerate(kinds, start=1):
        if kind == "good":
            value = draw(json_objects)
            lines.append(dump_json(value, style))
            good.append((number, value))
        elif kind == "bad":
            lines.append(draw(broken_json_line(style)))
            bad.append((number, lines[-1]))
        else:  # blank: nothing, or JSON's own white space only
            lines.append(draw(st.sampled_from([b"", b" ", b"\t", b" \t "])))
    data = eol.join(lines) + (eol if style.trailing_newline else b"")
    name = "events/date=2024-03-01/landed.jsonl" + (".gz" if style.gzip else "")
    return JsonlFile(name, data, good, bad)


# =============================================================================================
# 3. ISO-8601 instants (event_ts)
# =============================================================================================
# What the contract's "ISO-8601 timestamp with offset or Z" accepts (decided here, implemented in
# clean.py with Polars expressions):
#   * a calendar date and a time, both in extended format (2024-03-01T12:34:56) or both in basic
#     format (20240301T123456); ISO 8601 does not allow mixing the two within date and time;
#   * separator "T", or "t" (RFC 3339 section 5.6: "T" and "Z" may be lower case), or a space
#     (RFC 3339 section 5.6 NOTE allows it "for the sake of readability"; Python's str(datetime),
#     PostgreSQL and SQL tools write it);
#   * time to the second, or reduced precision to the minute (12:34) or the hour (12);
#   * with seconds, a decimal fraction of any number of digits after "." or "," (ISO 8601's two
#     decimal signs); digits beyond the microsecond are TRUNCATED (the instant is floored to the
#     microsecond, as Python's datetime.fromisoformat does);
#   * then "Z", "z", or an offset ±hh, ±hhmm or ±hh:mm up to 23:59 (in either date/time format);
#     "-00:00" means UTC.
# Not accepted (rejected "is not an ISO-8601 timestamp"): ordinal and week dates, fractions of an
# hour or minute, hour 24, leap second 60 (a Polars Datetime cannot hold it, and Python's datetime
# refuses it; RFC 3339 allows it only at actual leap seconds), offsets with seconds, a U+2212
# minus sign, expanded (>4 digit or signed) years, single-digit fields. No offset: rejected "has
# no UTC offset" (a local time is not an instant).
_EXTENDED = re.compile(
    r"(?P<Y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})[Tt ]"
    r"(?P<H>[0-9]{2})(?::(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:[.,](?P<f>[0-9]+))?)?)?"
)
_BASIC = re.compile(
    r"(?P<Y>[0-9]{4})(?P<mo>[0-9]{2})(?P<d>[0-9]{2})[Tt ]"
    r"(?P<H>[0-9]{2})(?:(?P<M>[0-9]{2})(?:(?P<S>[0-9]{2})(?:[.,](?P<f>[0-9]+))?)?)?"
)
_OFFSET = re.compile(r"(?:(?P<z>[Zz])|(?P<sign>[+-])(?P<oh>[0-9]{2})(?::?(?P<om>[0-9]{2}))?)")


def reference_instant(text: str) -> datetime | None:
    """The UTC instant ``text`` spells under the grammar above (microseconds), or None."""
    for local in (_EXTENDED, _BASIC):
        match = re.fullmatch(local.pattern + _OFFSET.pattern, text)
        if match:
            break
    else:
        return None
    g = match.groupdict()
    micro = int((g["f"] or "")[:6].ljust(6, "0"))  # truncated beyond microseconds
    try:
        naive = datetime(int(g["Y"]), int(g["mo"]), int(g["d"]), int(g["H"]), int(g["M"] or 0), int(g["S"] or 0), micro)
    except ValueError:
        return None
    if g["z"]:
        return naive.replace(tzinfo=UTC)
    hours, minutes = int(g["oh"]), int(g["om"] or 0)
    if hours > 23 or minutes > 59:
        return None
    sign = 1 if g["sign"] == "+" else -1
    return (naive - sign * timedelta(hours=hours, minutes=minutes)).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Spelling:
    text: str
    instant: datetime | None  # the UTC instant it spells (None for an illegal spelling)
    kind: str  # which legal variant or which defect


@st.composite
def _parts(draw) -> dict:
    return {
        "day": draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))),
        "hour": draw(st.integers(0, 23)),
        "minute": draw(st.integers(0, 59)),
        "second": draw(st.integers(0, 59)),
        "precision": draw(st.sampled_from(["second", "second", "minute", "hour"])),
        "fraction": draw(st.one_of(st.none(), st.text("0123456789", min_size=1, max_size=12))),
        "decimal_sign": draw(st.sampled_from([".", ","])),
        "basic": draw(st.booleans()),
        "separator": draw(st.sampled_from(["T", "t", " "])),
        "zone": draw(st.sampled_from(["Z", "z", "hh", "hhmm", "hh:mm"])),
        "sign": draw(st.sampled_from(["+", "-"])),
        "offset_hours": draw(st.integers(0, 23)),
        "offset_minutes": draw(st.integers(0, 59)),
    }


def _spell(p: dict, *, year: str | None = None, month: str | None = None, day: str | None = None,
           hour: str | None = None, minute: str | None = None, second: str | None = None,
           zone: str | None = None, basic_time: bool | None = None) -> str:  # fmt: skip
    d = p["day"]
    year = year or f"{d.year:04d}"
    month, day = month or f"{d.month:02d}", day or f"{d.day:02d}"
    hour, minute, second = hour or f"{p['hour']:02d}", minute or f"{p['minute']:02d}", second or f"{p['second']:02d}"
    date_part = f"{year}{month}{day}" if p["basic"] else f"{year}-{month}-{day}"
    colon = "" if (p["basic"] if basic_time is None else basic_time) else ":"
    time_part = {"hour": hour, "minute": f"{hour}{colon}{minute}", "second": f"{hour}{colon}{minute}{colon}{second}"}[
        p["precision"]
    ]
    if p["precision"] == "second" and p["fraction"] is not None:
        time_part += p["decimal_sign"] + p["fraction"]
    if zone is None:
        oh, om = p["offset_hours"], p["offset_minutes"]
        zone = {
            "Z": "Z", "z": "z", "hh": f"{p['sign']}{oh:02d}",
            "hhmm": f"{p['sign']}{oh:02d}{om:02d}", "hh:mm": f"{p['sign']}{oh:02d}:{om:02d}",
        }[p["zone"]]  # fmt: skip
    return f"{date_part}{p['separator']}{time_part}{zone}"


def _instant(p: dict) -> datetime:
    d, precision = p["day"], p["precision"]
    minute = p["minute"] if precision != "hour" else 0
    second = p["second"] if precision == "second" else 0
    fraction = p["fraction"] if precision == "second" and p["fraction"] is not None else ""
    local = datetime(d.year, d.month, d.day, p["hour"], minute, second, int(fraction[:6].ljust(6, "0")))
    if p["zone"] in ("Z", "z"):
        return local.replace(tzinfo=UTC)
    offset = timedelta(hours=p["offset_hours"], minutes=0 if p["zone"] == "hh" else p["offset_minutes"])
    return (local - offset if p["sign"] == "+" else local + offset).replace(tzinfo=UTC)


@st.composite
def legal_timestamps(draw) -> Spelling:
    """Any spelling of an instant the grammar above accepts, with the UTC instant it means."""
    p = draw(_parts())
    kind = f"{'basic' if p['basic'] else 'extended'}/{p['precision']}/{p['zone']}/sep={p['separator']!r}"
    return Spelling(_spell(p), _instant(p), kind)


@st.composite
def illegal_timestamps(draw) -> Spelling:
    """A spelling with exactly one defect (or arbitrary garbage); ``kind`` names the defect."""
    p = draw(_parts())
    kind = draw(st.sampled_from([
        "no_offset", "month", "day", "day_of_month", "hour", "minute", "second",
        "offset_hours", "offset_minutes", "mixed_format", "short_field", "garbage",
    ]))  # fmt: skip
    if kind in ("second",):
        p["precision"] = "second"
    if kind in ("minute", "mixed_format"):
        p["precision"] = draw(st.sampled_from(["minute", "second"]))
    if kind in ("offset_hours", "offset_minutes"):
        p["zone"] = "hh:mm" if kind == "offset_minutes" else draw(st.sampled_from(["hh", "hhmm", "hh:mm"]))
    d = p["day"]
    match kind:
        case "no_offset":
            text = _spell(p, zone="")
        case "month":
            text = _spell(p, month=draw(st.sampled_from(["00", "13", "19", "99"])))
        case "day":
            text = _spell(p, day=draw(st.sampled_from(["00", "32", "39", "99"])))
        case "day_of_month":  # 30 February, 31 April...
            month = draw(st.sampled_from([2, 4, 6, 9, 11]))
            last = calendar.monthrange(d.year, month)[1]
            text = _spell(p, month=f"{month:02d}", day=f"{draw(st.integers(last + 1, 31)):02d}")
        case "hour":
            text = _spell(p, hour=f"{draw(st.integers(25, 99)):02d}")
        case "minute":
            text = _spell(p, minute=f"{draw(st.integers(60, 99)):02d}")
        case "second":  # 60 included: a leap second is not accepted (see above)
            text = _spell(p, second=f"{draw(st.integers(60, 99)):02d}")
        case "offset_hours":
            oh = draw(st.integers(24, 99))
            zone = {"hh": f"{p['sign']}{oh}", "hhmm": f"{p['sign']}{oh}00", "hh:mm": f"{p['sign']}{oh}:00"}[p["zone"]]
            text = _spell(p, zone=zone)
        case "offset_minutes":
            text = _spell(p, zone=f"{p['sign']}{p['offset_hours']:02d}:{draw(st.integers(60, 99))}")
        case "mixed_format":  # basic date with extended time, or extended date with basic time
            text = _spell(p, basic_time=not p["basic"])
        case "short_field":
            one = str(draw(st.integers(0, 9)))
            which = draw(st.sampled_from(["month", "day", "hour", "minute"]))
            if which == "minute":
                p["precision"] = "second"
            text = _spell(p, **{which: one})
        case _:
            text = draw(st.text(min_size=1).filter(lambda s: s.strip() == s and reference_instant(s) is None))
    assert reference_instant(text) is None, (kind, text)
    return Spelling(text, None, kind)


# =============================================================================================
# 4. Decimals (amount, usd_per_unit)
# =============================================================================================
# What the contract's "decimal" accepts (decided here, implemented in clean._finite_decimal):
# a finite number in base-10 positional notation with an optional power-of-ten exponent, that
# is the JSON number grammar (RFC 8259 section 6) widened the way CSV tools write numbers:
#     [+-]? ( digits [ "." digits? ] | "." digits ) ( [eE] [+-]? digits )?
# with ASCII digits only, after trimming surrounding whitespace. So "12", "12.5", "0.50", "+3.1",
# ".5", "5.", "007", "1e3", "2.5E-05" are decimals ("3.93e-05" is how Python, pandas and JSON
# encoders write a small fx rate such as VND's, and JSON Lines amounts come as JSON numbers).
# Not decimals: "", "abc", "1,5" (decimal comma), "1 000", "1_000", "0x10", "NaN", "inf",
# "Infinity", non-ASCII digits, "1e", "e3", ".", "+", and numbers whose magnitude overflows a
# Float64 ("1e400"), which are not finite. The value is the nearest Float64 (correct rounding).
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


# White space trimmed from around a landed value: Unicode's White_Space characters, as Polars'
# strip_chars() (Rust's char::is_whitespace) trims them; not Python's str.strip(), which also takes
# the information separators \x1c-\x1f.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)


def reference_decimal(text: str) -> float | None:
    """The Float64 value of a decimal (None if ``text`` is not one); surrounding white space trimmed."""
    text = text.strip(WHITE_SPACE)
    if not DECIMAL.fullmatch(text):
        return None
    try:
        value = float(Decimal(text))
    except (InvalidOperation, OverflowError):
        return None
    return value if math.isfinite(value) else None


_digits = st.text("0123456789", min_size=1, max_size=20)
_mantissas = st.one_of(
    _digits,
    st.tuples(_digits, st.text("0123456789", max_size=12)).map(lambda t: f"{t[0]}.{t[1]}"),  # "5." too
    st.text("0123456789", min_size=1, max_size=12).map(lambda f: f".{f}"),
)
_exponents = st.one_of(
    st.just(""),
    st.tuples(st.sampled_from("eE"), st.sampled_from(["", "+", "-"]), st.integers(0, 30)).map(
        lambda t: f"{t[0]}{t[1]}{t[2]:0{1 + t[2] % 2}d}"  # "e5", "E-07"
    ),
)


@st.composite
def legal_decimals(draw, positive: bool | None = None) -> tuple[str, float]:
    """(spelling, value) of a decimal, maybe with spaces or tabs around it (trimmed, like every
    landed field); ``positive`` True gives values > 0, False values <= 0."""
    if positive is False:
        sign = draw(st.sampled_from(["-", "", "+"]))
        mantissa = draw(_mantissas if sign == "-" else st.sampled_from(["0", "0.0", "00", ".0", "0."]))
    else:
        sign = draw(st.sampled_from(["", "+"] if positive else ["", "+", "-"]))
        mantissa = draw(_mantissas.filter(lambda m: not positive or m.strip("0.") != ""))
    text = sign + mantissa + draw(_exponents)
    value = reference_decimal(text)
    assert value is not None and (positive is None or (value > 0) == positive), text
    padding = draw(st.sampled_from(["", " ", "\t", "  ", "\u00a0", "\u3000"]))
    return padding + text + draw(st.sampled_from(["", " ", "\t", "\u2028"])), value


ILLEGAL_DECIMALS = [
    "abc", "1,5", "1.234,5", "1 000", "1_000", "0x10", "NaN", "nan", "-NaN", "inf", "-inf", "+inf",
    "Infinity", "infinity", "1e", "e3", "1e+", ".", "+", "-", "+-1", "--1", "1.2.3", "1..2", "12abc",
    "12€", "$12", "٣", "１２", "1e400", "-1e400", "1d", "1f", "0b1", "(5)",
]  # fmt: skip
illegal_decimals = st.one_of(
    st.sampled_from(ILLEGAL_DECIMALS),
    st.text(min_size=1, max_size=12).filter(lambda s: s.strip() and s.strip() == s and reference_decimal(s) is None),
)
