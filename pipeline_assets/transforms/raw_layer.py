"""Parsed landing files to the raw layer: every landed field as text, with its lineage (pure Polars).

The raw layer keeps schema drift (landed columns the contract does not name) without letting it
change the table's schema from day to day: drifted fields travel in one JSON-object column,
``_extra_columns``, so every partition of ``raw_events`` has the same columns and any reader
opens the asset without merging schemas. Cleaning still sees each drifted field as a column.
"""

from datetime import date, datetime

import polars as pl

from pipeline_assets.transforms.clean import EVENT_COLUMNS
from pipeline_assets.transforms.ingest import EXTRA_COLUMNS, INGESTED_AT, SOURCE_FILE, SOURCE_LINE, ParsedFile

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


def raw_records(parsed: list[ParsedFile], day: date, ingested_at: datetime) -> pl.DataFrame:
    """The day's parsable records: the contract's fields, then drifted ones, then lineage; every
    landed field as text (a JSON key that is null on every line would otherwise be typeless)."""
    records = pl.concat([p.records for p in parsed], how="diagonal") if parsed else pl.DataFrame()
    fields = [*EVENT_COLUMNS, *extra_columns(records.columns)]
    if records.height == 0:  # no file with a record: the same columns, no rows
        records = pl.DataFrame(
            schema={**dict.fromkeys(fields, pl.String), SOURCE_FILE: pl.String, SOURCE_LINE: pl.Int64}
        )
    return records.select(
        pl.lit(day).alias("date"),
        *(pl.col(c).cast(pl.String) if c in records.columns else pl.lit(None, pl.String).alias(c) for c in fields),
        pl.col(SOURCE_FILE).cast(pl.String),
        pl.col(SOURCE_LINE).cast(pl.Int64),
        pl.lit(ingested_at, RAW_EVENTS_COLUMNS[INGESTED_AT]).alias(INGESTED_AT),
    )


def raw_events_table(records: pl.DataFrame) -> pl.DataFrame:
    """``raw_events`` as published: `raw_records` with its drifted fields packed into
    ``_extra_columns``, a JSON object of the day's drifted names (null where the record's file did
    not have one), or null for a record with no drifted value."""
    extras = extra_columns(records.columns)
    packed = pl.lit(None, pl.String)
    if extras:
        carried = pl.any_horizontal(pl.col(extras).is_not_null())
        packed = pl.when(carried).then(pl.struct(extras).struct.json_encode())
    return records.select("date", *EVENT_COLUMNS, packed.alias(EXTRA_COLUMNS), SOURCE_FILE, SOURCE_LINE, INGESTED_AT)


def raw_records_from_table(table: pl.LazyFrame, extras: list[str]) -> pl.LazyFrame:
    """`raw_records` again from ``raw_events`` as staged: the drifted fields ``extras`` unpacked
    from ``_extra_columns`` into columns of their own (null where the record had none)."""
    if not extras:
        return table.drop(EXTRA_COLUMNS)
    fields = pl.Struct(dict.fromkeys(extras, pl.String))
    unpacked = pl.col(EXTRA_COLUMNS).str.json_decode(fields).struct.unnest()
    return table.select("date", *EVENT_COLUMNS, unpacked, SOURCE_FILE, SOURCE_LINE, INGESTED_AT)
