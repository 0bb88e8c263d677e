"""Every landing file of a day accounted for in the raw layer (pure Polars).

The landing side is counted from each file's bytes by `landing_count` (not by the parser); the raw
side is what the day's tables hold per `_source_file`: parsed records in ``raw_events`` plus the
records that could not be parsed. A file whose counts differ, or a source file that was never
listed, means the raw layer lost, merged or invented records of that file.
"""

from collections.abc import Mapping

import polars as pl

from pipeline_assets.transforms.ingest import SOURCE_FILE

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
    raw_rows = raw.group_by(SOURCE_FILE).agg(pl.len().cast(pl.Int64).alias("raw_rows"))
    unparsable_rows = unparsable.group_by(SOURCE_FILE).agg(pl.len().cast(pl.Int64).alias("unparsable_rows"))
    return (
        listed.join(raw_rows, on=SOURCE_FILE, how="full", coalesce=True)
        .join(unparsable_rows, on=SOURCE_FILE, how="full", coalesce=True)
        .select(pl.col(name).cast(dtype) for name, dtype in ACCOUNTING_SCHEMA.items())
        .with_columns(pl.col("raw_rows", "unparsable_rows").fill_null(0))
        .sort(SOURCE_FILE)
    )


def unaccounted(accounting: pl.DataFrame) -> pl.DataFrame:
    """The files whose records are not all in the raw layer, or that the listing never named."""
    return accounting.filter(
        pl.col("landing_records").is_null()
        | (pl.col("landing_records") != pl.col("raw_rows") + pl.col("unparsable_rows"))
    )
