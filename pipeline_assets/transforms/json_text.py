"""JSON lines read in Python, for the few that Polars' reader cannot hold.

JSON numbers have no size limit, but Polars' NDJSON reader stops the whole read at an integer
beyond 128 bits or a number beyond Float64 ("InvalidNumber"), however valid the line. Such lines
are read here instead, each value as text as the bulk reader gives it (a string as it is, any
other value as JSON), and every number exactly as the line spells it.
"""

import json

import numpy as np
import polars as pl

# Lines that may hold such a number: a run of 39 digits (2**128 has 39) or a digit then an
# exponent of three digits. The same inside a string matches too: such a line is only read slower.
BEYOND_POLARS = r"\d{39}|\d[eE][+-]?\d{3}"


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


def _strict_json(line: str) -> object:
    try:
        return json.loads(line, parse_int=_Spelled, parse_float=_Spelled, parse_constant=_not_json)
    except ValueError:  # JSONDecodeError, or NaN / Infinity, which JSON does not have
        return None


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _value_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return None if value is None else str.__str__(value)
    return _json_text(value)


def _json_text(value: object) -> str:
    if isinstance(value, _Spelled):
        return str.__str__(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json_text(key)}:{_json_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(_json_text, value)) + "]"
    return json.dumps(value, ensure_ascii=False)  # a string, true or false, null
