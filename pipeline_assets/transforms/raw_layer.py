"""Parsed landing files to the raw layer: every landed field as text, with its lineage (pure Polars).

The raw layer keeps schema drift (landed columns the contract does not name) without letting it
change the table's schema from file to file or day to day: drifted fields travel in one
JSON-object column, ``_extra_columns``, so every partition of ``raw_events`` has the same columns
and any reader opens the asset without merging schemas.

A day's ``raw_events`` is built a landing file at a time (`raw_events_part`) and written as it
goes (`raw_events_stream`), so that at most a file's parsed records are held, not the day's.

A drifted column's name is the landing file's, whatever it is: ``*`` or ``^a$`` would be a
wildcard or a pattern to ``pl.col``, so drifted columns are only ever handled as Series or as
"every column" of a frame holding nothing else.
"""

from collections.abc import Callable, Iterator
from datetime import date, datetime

import polars as pl
from polars.io.plugins import register_io_source

from pipeline_assets.transforms.clean import EVENT_COLUMNS
from pipeline_assets.transforms.landing_file import EXTRA_COLUMNS, INGESTED_AT, SOURCE_FILE, SOURCE_LINE

RAW_EVENTS_COLUMNS = {
    "date": pl.Date,
    **dict.fromkeys(EVENT_COLUMNS, pl.String),
    EXTRA_COLUMNS: pl.String,  # {"drifted name": "value as landed" or null, ...}, null without drift
    SOURCE_FILE: pl.String,
    SOURCE_LINE: pl.Int64,
    INGESTED_AT: pl.Datetime("us", "UTC"),
}


def extra_columns(columns: list[str]) -> list[str]:
    """The landed columns the contract does not name (schema drift), in name order."""
    return sorted(c for c in columns if c not in RAW_EVENTS_COLUMNS)


def raw_events_part(records: pl.DataFrame, day: date, ingested_at: datetime) -> pl.DataFrame:
    """One landing file's parsed records (a text column per landed field, plus ``_source_file``
    and ``_source_line``) as rows of ``raw_events``: the contract's fields as text (null where the
    file lacks one), then ``_extra_columns``, a JSON object of the file's drifted fields (null for
    a record with no drifted value), then the lineage."""
    height = records.height

    def text(name: str) -> pl.Series:
        if name in records.columns:
            return records.get_column(name).cast(pl.String)  # a JSON key null on every line is typeless
        return pl.repeat(None, height, dtype=pl.String, eager=True).alias(name)

    extras = extra_columns(records.columns)
    packed = pl.repeat(None, height, dtype=pl.String, eager=True)
    if extras:  # a frame of the drifted columns alone, so that "every column" names them
        drifted = records[extras].cast(pl.String)
        carried = pl.any_horizontal(pl.all().is_not_null())
        packed = drifted.select(pl.when(carried).then(pl.struct(pl.all()).struct.json_encode())).to_series()
    return pl.DataFrame(
        [
            pl.repeat(day, height, dtype=pl.Date, eager=True).alias("date"),
            *(text(c) for c in EVENT_COLUMNS),
            packed.alias(EXTRA_COLUMNS),
            records.get_column(SOURCE_FILE).cast(pl.String),
            records.get_column(SOURCE_LINE).cast(pl.Int64),
            pl.repeat(ingested_at, height, dtype=RAW_EVENTS_COLUMNS[INGESTED_AT], eager=True).alias(INGESTED_AT),
        ]
    )


def raw_events_stream(parts: Callable[[], Iterator[pl.DataFrame]]) -> pl.LazyFrame:
    """The rows of ``parts()`` (`raw_events_part` frames, in order) as one lazy table whose sink
    pulls one part at a time: written with ``sink_parquet``, a day is never whole in memory. An
    error raised while producing a part reaches the sink's caller unchanged."""

    def source(
        with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, _batch_size: int | None
    ) -> Iterator[pl.DataFrame]:
        for part in parts():
            if with_columns is not None:
                part = part.select(with_columns)
            if predicate is not None:
                part = part.filter(predicate)
            if n_rows is not None:
                part, n_rows = part.head(n_rows), n_rows - min(n_rows, part.height)
            yield part
            del part  # resumed: the engine has the part, so let go of it before the next is made
            if n_rows == 0:
                return

    return register_io_source(source, schema=RAW_EVENTS_COLUMNS)
