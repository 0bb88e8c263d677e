"""Every landing file of a day accounted for in the raw layer (pure Polars).

The landing side is counted from each file's bytes by `landing_count` (not by the parser); the raw
side is what the day's tables hold per `_source_file`: parsed records in ``raw_events`` plus the
records that could not be parsed. A file whose counts differ, or a source file that was never
listed, means the raw layer lost, merged or invented records of that file.
"""

from collections.abc import Mapping

import polars as pl

from pipeline_assets.transforms.landing_file import SOURCE_FILE

ACCOUNTING_SCHEMA = {
    SOURCE_FILE: pl.String,
    "landing_records": pl.Int64,
    "raw_rows": pl.Int64,
    "unparsable_rows": pl.Int64,
}


def file_accounting(landing_records: Mapping[str, int], raw: pl.DataFrame, unparsable: pl.DataFrame) -> pl.DataFrame:
    """One row per file (listed or seen in the tables): its landing records and where they went."""
    listed = pl.DataFrame(
        {SOURCE_FILE: list(landing_records), "landing_records": list(landing_records.values())},
        schema={SOURCE_FILE: pl.String, "landing_records": pl.Int64},
    )
    raw_rows, unparsable_rows = _rows_by_file(raw, "raw_rows"), _rows_by_file(unparsable, "unparsable_rows")
    return (
        listed.join(raw_rows, on=SOURCE_FILE, how="full", coalesce=True)
        .join(unparsable_rows, on=SOURCE_FILE, how="full", coalesce=True)
        .select(pl.col(name).cast(dtype) for name, dtype in ACCOUNTING_SCHEMA.items())
        .with_columns(pl.col("raw_rows", "unparsable_rows").fill_null(0))
        .sort(SOURCE_FILE)
    )


def _rows_by_file(table: pl.DataFrame, name: str) -> pl.DataFrame:
    """Rows per source file, counted over runs of equal names: a day's rows come file by file,
    and grouping a million names in a hash table held 150 MiB at the day's memory peak."""
    runs = table.select(pl.col(SOURCE_FILE).rle()).unnest(SOURCE_FILE)
    return runs.group_by(pl.col("value").alias(SOURCE_FILE)).agg(pl.col("len").sum().cast(pl.Int64).alias(name))


def unaccounted(accounting: pl.DataFrame) -> pl.DataFrame:
    """The files whose records are not all in the raw layer, or that the listing never named."""
    return accounting.filter(
        pl.col("landing_records").is_null()
        | (pl.col("landing_records") != pl.col("raw_rows") + pl.col("unparsable_rows"))
    )
