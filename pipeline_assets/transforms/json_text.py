"""JSON lines that Polars' reader cannot take as they are.

JSON numbers have no size limit, but Polars' NDJSON reader stops the whole read at an integer
beyond 128 bits or a number beyond Float64 ("InvalidNumber"), however valid the line. Such lines
are read here instead, each value as text as the bulk reader gives it: a string as it is, a
number as Polars writes the same number (`_number_text`; one Polars cannot hold, as spelled), any
other value as JSON.

A string may also escape a UTF-16 surrogate (\\uD800-\\uDFFF) outside a high-low pair: JSON's
grammar allows it, but it is no Unicode text, so the record is refused with that reason. Polars'
reader stops on a lone low one and quietly turns a lone high one into NUL.

And where Python re-reads a line that Polars has read, it must go as deep as Polars goes.
"""

import json
import math
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import numpy as np
import polars as pl

# Lines that may hold such a number: a run of 39 digits (2**128 has 39) or a digit then an
# exponent of three digits. The same inside a string matches too: such a line is only read slower.
BEYOND_POLARS = r"\d{39}|\d[eE][+-]?\d{3}"

# JSON's grammar (RFC 8259) for regular expressions over text. A string holds no control character
# and escapes no surrogate (a lone one is not Unicode text; a pair is left to a parser). Every text
# these match is JSON; not every JSON text matches.
JSON_SPACE = r"[ \t\n\r]*"
JSON_STRING = r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u(?:[0-9a-cA-Ce-fE-F][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}))*"'
JSON_SCALAR = rf"(?:{JSON_STRING}|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)"


def flat_object(key: str = JSON_STRING) -> str:
    """A regular expression (unanchored) for a JSON object whose values are strings, numbers,
    true, false or null, and whose keys match ``key`` (any string by default)."""
    member = rf"{key}{JSON_SPACE}:{JSON_SPACE}{JSON_SCALAR}"
    return rf"\{{{JSON_SPACE}(?:{member}(?:{JSON_SPACE},{JSON_SPACE}{member})*{JSON_SPACE})?\}}"


_SURROGATE = r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
_SURROGATE_PAIR = r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
UNPAIRED_SURROGATE = "JSON string holds a lone surrogate escape (\\uD800-\\uDFFF), which is not Unicode text"


def unpaired_surrogates(lines: pl.Series) -> np.ndarray:
    """Which of ``lines`` escape a surrogate outside a pair: found by Polars, on the lines that
    hold a "\\u" at all, once each escaped backslash is set aside ("\\\\ud800" is text)."""
    found = lines.str.contains("\\u", literal=True).fill_null(False).to_numpy()
    if found.any():
        found[found] = lines.filter(found).str.contains(_SURROGATE).to_numpy()
    if found.any():
        unescaped = lines.filter(found).str.replace_all("\\\\", "_", literal=True)
        found[found] = unescaped.str.replace_all(_SURROGATE_PAIR, "").str.contains(_SURROGATE).to_numpy()
    return found


POLARS_MAX_DEPTH = 1_024  # levels of nesting Polars' NDJSON reader takes; Python's json ~1,000
_RECURSION_LIMIT = threading.Lock()


@contextmanager
def as_deep_as_polars() -> Iterator[None]:
    """Python's json (reading or writing) as deep as Polars' reader goes: it stops at the
    interpreter's recursion limit (1,000 frames, the caller's included), so the limit is raised
    meanwhile. It is the interpreter's: changes are serialised, and a thread that sees the raised
    limit meanwhile may only go deeper."""
    with _RECURSION_LIMIT:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(limit + POLARS_MAX_DEPTH)
        try:
            yield
        finally:
            sys.setrecursionlimit(limit)


class _Spelled(str):
    """A JSON number, as spelled."""


def read_lines(lines: list[str]) -> tuple[pl.DataFrame, np.ndarray]:
    """The lines that are strict JSON objects, as a String column per key, and which those are."""
    values = [_strict_json(line) for line in lines]
    objects = np.array([isinstance(value, dict) for value in values], dtype=bool)
    values = [value for value in values if isinstance(value, dict)]
    keys = dict.fromkeys(key for value in values for key in value)
    table = pl.DataFrame(
        {key: [_value_text(value.get(key)) for value in values] for key in keys},
        schema=dict.fromkeys(keys, pl.String),
    )
    return table, objects


def is_json_object(text: str) -> bool:
    """Whether ``text`` is one strict JSON object of Unicode text (no lone surrogate escape, in
    any value, a repeated key's included), read in Python as deep as Polars' reader goes: for
    the few objects that Polars' JSON parser refuses though JSON allows them (a number beyond
    Float64, nesting beyond its 128 levels)."""
    if "\\u" in text and unpaired_surrogates(pl.Series([text]))[0]:
        return False
    with as_deep_as_polars():
        return isinstance(_strict_json(text), dict)


def first_value_of_each_key(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """An object whose key repeats keeps the key's first value, as Polars' reader does (RFC 8259
    leaves it to the reader; Python's json keeps the last), so that a line means the same
    whichever reader takes it. For ``json.loads(..., object_pairs_hook=...)``."""
    value: dict[str, object] = {}
    for key, item in pairs:
        value.setdefault(key, item)
    return value


def _strict_json(line: str) -> object:
    try:
        return json.loads(
            line,
            parse_int=_Spelled,
            parse_float=_Spelled,
            parse_constant=_not_json,
            object_pairs_hook=first_value_of_each_key,
        )
    except (ValueError, RecursionError):  # not JSON, NaN or Infinity (not JSON either), too deep
        return None


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _value_text(value: object) -> str | None:
    if isinstance(value, _Spelled):
        return _number_text(value)
    if value is None or isinstance(value, str):
        return None if value is None else str.__str__(value)
    return _json_text(value)


def _number_text(spelled: str) -> str:
    """A field's number as Polars' reader gives the same number on any other line, so that a
    value's verdict does not depend on what else its line holds (``"user_id": 5.0`` is 5 there):
    an integer as written ("-0" as "0"); a fraction or exponent as the nearest Float64, in the
    fewest digits that give it back, without exponent or trailing zeros ("2.50" as "2.5", "1e3"
    as "1000", "1.5e-7" as "0.00000015"). A number Float64 cannot hold (beyond its range, or too
    small to be told from 0) is what sent the line here: it stays as spelled."""
    if not any(mark in spelled for mark in ".eE"):
        return str(int(spelled))
    value = float(spelled)
    mantissa = spelled.lower().split("e")[0]
    if not math.isfinite(value) or (value == 0 and any(digit in mantissa for digit in "123456789")):
        return str.__str__(spelled)
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _json_text(value: object) -> str:
    if isinstance(value, _Spelled):
        return str.__str__(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json_text(key)}:{_json_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(_json_text, value)) + "]"
    return json.dumps(value, ensure_ascii=False)  # a string, true or false, null
