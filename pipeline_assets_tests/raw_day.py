"""A day's raw_events held whole, as the events step stages it a file at a time, for the tests of
what is computed from it."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import polars as pl

from pipeline_assets.transforms.clean import clean_day
from pipeline_assets.transforms.raw_layer import raw_events_part

INGESTED_AT = datetime(2024, 3, 2, 1, 0, tzinfo=UTC)


def raw_events(records: Iterable[pl.DataFrame], day: date) -> pl.DataFrame:
    """The rows of ``raw_events`` for each file's parsed ``records``, in the order given."""
    return pl.concat([raw_events_part(frame, day, INGESTED_AT) for frame in records])


@dataclass(frozen=True)
class Cleaned:
    clean: pl.DataFrame
    rejected: pl.DataFrame
    duplicates_removed: int


def cleaned(records: Iterable[pl.DataFrame], unparsable: pl.DataFrame, fx: pl.DataFrame, day: date) -> Cleaned:
    """`clean_day` over those files, its plans collected."""
    result = clean_day(raw_events(records, day).lazy(), unparsable.lazy(), fx.lazy(), day)
    return Cleaned(*result.collect(), result.duplicates_removed)
