"""JSON Lines landing files to text records.

A line that cannot be an object is refused without parsing; the others go to Polars' NDJSON
reader in one call, every value read as text. Python touches only the lines that fail (to give
their raw text and reason) and the few values Polars cannot give as landed (`json_text`).
"""

import io
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

from pipeline_assets.transforms import json_text
from pipeline_assets.transforms.clean import EVENT_COLUMNS
from pipeline_assets.transforms.landing_file import (
    CLOSE_BRACE,
    NOT_UTF8,
    OPEN_BRACE,
    SOURCE_LINE,
    LandingFileError,
    ParsedFile,
    Records,
    landed_names,
    require_count,
    split_records,
    unparsable_records,
    with_source,
)

# White space as JSON has it (RFC 8259, 2): a line of nothing else holds no record. Not
# `strip_chars()`'s Unicode white space: a no-break space or a form feed around an object makes the
# line broken JSON, which the bulk reader refuses, and a line of one is a broken record, not a blank.
JSON_WHITESPACE = " \t\r\n"

# A line that is a flat JSON object of the contract's fields, each named as the contract spells it,
# with JSON's white space around it and after it the line end (and any blank lines).
_CONTRACT_KEY = '"(?:' + "|".join(EVENT_COLUMNS) + ')"'
_CONTRACT_LINE = rf"^{json_text.JSON_SPACE}{json_text.flat_object(_CONTRACT_KEY)}{json_text.JSON_SPACE}$"
# The keys of other JSON lines are found a chunk of lines per thread (`_keys_of`).
_KEY_READERS = ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 4), thread_name_prefix="ndjson-keys")
_KEY_CHUNK = 16 * 2**20
_PYTHON_KEYS_BYTES = 64 * 2**10


def parse_jsonl(name: str, data: bytes) -> ParsedFile:
    records = split_records(data, quoted=False)
    utf8 = records.utf8_mask()
    # Most lines are "{...}" with nothing around: no text needed to see it. The others (white
    # space around, blank, not an object) are trimmed on their own: trimming every line copied
    # the whole file once more (0.7 GB for a 10M-record day).
    buffer = np.frombuffer(data, dtype=np.uint8)
    plain = utf8 & (buffer[records.starts] == OPEN_BRACE) & (buffer[records.ends - 1] == CLOSE_BRACE)
    good = plain.copy()
    if not plain.all():
        others = ~plain & utf8
        trimmed = records.texts(others).str.strip_chars(JSON_WHITESPACE)
        blank = np.zeros(len(records), dtype=bool)
        blank[others] = (trimmed.str.len_bytes() == 0).to_numpy()
        good[others] = (trimmed.str.starts_with("{") & trimmed.str.ends_with("}")).to_numpy()
        if blank.any():  # lines of white space only hold no record
            records, utf8, good = records.select(~blank), utf8[~blank], good[~blank]
    escaped = records.holding(b"\\")
    surrogate_candidates = good & records.holding(b"\\u")  # a surrogate escape needs a "\u"
    good[surrogate_candidates] = ~json_text.unpaired_surrogates(records.texts(surrogate_candidates))
    # A line that cannot be an object (not "{...}") is refused without parsing; if a line that
    # looks like one still breaks the bulk read, Polars' JSON path match (null for anything that
    # is not one whole strict JSON document) finds every such line, at the cost of one more pass.
    try:
        table = _read_ndjson(records, good, escaped)
        require_count(name, table.height, good)
    except (pl.exceptions.PolarsError, LandingFileError, ValueError):
        # Polars cannot hold every JSON number (`json_text`): the lines that may hold one are
        # checked and read in Python, the rest by Polars.
        text = records.texts(good)
        beyond = text.str.contains(json_text.BEYOND_POLARS).to_numpy()
        in_python, in_polars = good.copy(), good.copy()
        in_python[good] = beyond
        in_polars[good] = (
            ~beyond & text.str.strip_chars(JSON_WHITESPACE).str.json_path_match("$").is_not_null().to_numpy()
        )
        from_python, objects = json_text.read_lines(text.filter(beyond).to_list())
        in_python[in_python] = objects
        good = in_polars | in_python
        table = _read_ndjson(records, in_polars, escaped)
        if from_python.height:  # back in line order: the rows read by Polars come first
            order = np.argsort(np.concatenate([np.flatnonzero(in_polars[good]), np.flatnonzero(in_python[good])]))
            table = pl.concat([table, from_python], how="diagonal").gather(order)
        require_count(name, table.height, good)
    table = table.rename(dict(zip(table.columns, landed_names(table.columns), strict=True)))
    table = table.with_columns(pl.Series(SOURCE_LINE, records.lines[good]))
    bad = ~good
    raw = records.raw_texts(bad)
    reasons = [_json_reason(text) if ok else NOT_UTF8 for ok, text in zip(utf8[bad], raw, strict=True)]
    unparsable = unparsable_records(name, records.lines[bad], raw, reasons)
    return ParsedFile(with_source(table, name), unparsable, len(records))


def _read_ndjson(records: Records, selected: np.ndarray, escaped: np.ndarray) -> pl.DataFrame:
    """Every key of the selected lines, each value as text: strings as they are, anything else
    as JSON. ``escaped`` says which records hold a backslash."""
    if not selected.any():
        return pl.DataFrame()
    data = _bytes(records.only(selected))
    # Every key of every line, without building columns. A line of the contract's fields with flat
    # values (most lines) has no other key and no nested value: only the others need inferring.
    shaped = records.matching(_CONTRACT_LINE, among=selected)
    inferred = selected & ~shaped
    keys, nested = _keys_of(_bytes(records.only(inferred))) if inferred.any() else ([], [])
    # One pass reads every value as text: a string as it is, any other value as JSON text of an
    # equal value (5 stays "5" beside 6.5; an object keeps only its own keys). Reading typed
    # values first and casting them took twice as long (the typed columns were built, then cast).
    unseen = [key for key in EVENT_COLUMNS if key not in keys]
    table = pl.read_ndjson(io.BytesIO(data), schema={key: pl.String for key in [*keys, *unseen]})
    # A contract field that no line gives a value may be missing from every line, and is then no
    # column, as inference would have it: the lines of the contract's shape are searched for its
    # name, where a match can only be one of their keys.
    for key in unseen:
        if table[key].null_count() == table.height and not records.matching(_key_of(key), among=shaped).any():
            table = table.drop(key)
    # That reader keeps a nested value's landed text but drops the escapes inside it, so a nested
    # value whose line holds a backslash is taken again from its line, in Python: only those rows.
    # A text column may hold nested values too (a key that is text on some lines); there the line
    # itself says whether the key's value opens an object or array. JSON may spell a key with
    # escapes ("\/", "\u0061"): a line where the key is not found as written is read again.
    line_of_row = np.flatnonzero(selected)
    escaped_rows = pl.Series(escaped[selected])
    for key in keys:
        value = table[key]
        redo = ((value.str.starts_with("{") | value.str.starts_with("[")) & escaped_rows).fill_null(False)
        if not redo.any():
            continue
        rows = redo.arg_true()
        candidates = np.zeros(len(records), dtype=bool)
        candidates[line_of_row[rows.to_numpy()]] = True
        lines = records.texts(candidates)  # in row order
        if key not in nested:  # the regular expressions run on the candidate lines only
            spelled = re.escape(json.dumps(key, ensure_ascii=False))
            again = lines.str.contains(spelled + r"\s*:\s*[\[{]") | ~lines.str.contains(spelled + r"\s*:")
            rows, lines = rows.filter(again), lines.filter(again)
            if rows.is_empty():
                continue
        with json_text.as_deep_as_polars():
            hook = json_text.first_value_of_each_key
            values = [
                json.loads(line, object_pairs_hook=hook)[key]
                for line in lines.str.strip_chars(JSON_WHITESPACE).to_list()
            ]
            fixed = [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in values]
        table = table.with_columns(value.scatter(rows, pl.Series(fixed, dtype=pl.String)))
    return table


def _key_of(name: str) -> str:
    """A regular expression for ``name`` as the key of an object's member (after "{" or ",")."""
    return rf'[{{,]{json_text.JSON_SPACE}"{re.escape(name)}"{json_text.JSON_SPACE}:'


def _bytes(data: memoryview) -> bytes:
    """The bytes of ``data``: a view of a whole file is the file itself, which BytesIO shares
    instead of copying."""
    whole = isinstance(data.obj, bytes) and data.nbytes == len(data.obj) and data.contiguous
    return data.obj if whole else bytes(data)


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
    if not chunk.strip(JSON_WHITESPACE.encode()):  # blank lines only (a file's last CR): no keys
        return [([], set())]
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
