"""Every checked table's columns and rules, in one place.

The UI's column schema is read from here without Pandera; the Pandera schema that audits each
partition (every row, not just the types) is built from the same declaration on first use.
Importing Pandera brings pandas (about a second together), which every run, sensor tick and
schedule tick would otherwise pay when the code location loads.
"""

import functools
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipeline_assets.transforms.aggregates import ROLLING_WINDOW_DAYS
from pipeline_assets.transforms.clean import DEVICES, EVENT_TYPES

UTC_TIMESTAMP = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    description: str
    nullable: bool = False
    unique: bool = False
    checks: tuple[tuple[str, Any], ...] = ()  # (pandera.Check constructor, its argument)


@dataclass(frozen=True)
class RowRule:
    error: str
    holds: pl.Expr  # true for each row that satisfies the rule


@dataclass(frozen=True, eq=False)
class TableModel:
    """A table's columns (no other column allowed, any order) and the rules its rows obey."""

    name: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()  # columns that together identify a row
    rules: tuple[RowRule, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def validate(self, frame: pl.DataFrame, lazy: bool = False) -> pl.DataFrame:
        """Pandera's validation of every row; raises pandera's SchemaError(s)."""
        return _pandera_schema(self, uniqueness=True).validate(frame, lazy=lazy)

    def validate_rows(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Every rule but uniqueness (columns, types, values, row rules): each row can be checked
        alone, so a table can be validated a batch at a time. Raises pandera's SchemaErrors."""
        return _pandera_schema(self, uniqueness=False).validate(frame, lazy=True)

    @property
    def uniqueness_rules(self) -> tuple[tuple[str, ...], ...]:
        """Each set of columns whose values must not repeat: a unique column alone, and `unique`."""
        return tuple((c.name,) for c in self.columns if c.unique) + ((self.unique,) if self.unique else ())


@functools.cache
def _pandera_schema(model: TableModel, uniqueness: bool):
    import pandera.polars as pa

    def checks(column: Column) -> list:
        return [
            getattr(pa.Check, name)(**argument) if isinstance(argument, dict) else getattr(pa.Check, name)(argument)
            for name, argument in column.checks
        ]

    return pa.DataFrameSchema(
        {
            c.name: pa.Column(
                c.dtype, checks(c), nullable=c.nullable, unique=c.unique and uniqueness, description=c.description
            )
            for c in model.columns
        },
        checks=[
            pa.Check(lambda data, rule=rule: data.lazyframe.select(rule.holds), error=rule.error)
            for rule in model.rules
        ],
        unique=(list(model.unique) or None) if uniqueness else None,
        strict=True,  # an unexpected or missing column is a failure, not a surprise downstream
        ordered=False,
        name=model.name,
    )


PARTITION_DAY = Column("date", pl.Date, "Partition day (UTC).")
SOURCE_FILE = Column("_source_file", pl.String, "Landing file the record came from.")
SOURCE_LINE = Column("_source_line", pl.Int64, "Line the record starts on.", checks=(("ge", 1),))

CleanEvents = TableModel(
    "CleanEvents",
    (
        PARTITION_DAY,
        Column("event_id", pl.String, "Event id; one row per id (latest event_ts wins).", unique=True),
        Column("user_id", pl.Int64, "User id, > 0.", checks=(("gt", 0),)),
        Column("session_id", pl.String, "Session id."),
        Column("event_type", pl.String, "One of " + ", ".join(EVENT_TYPES) + ".", checks=(("isin", EVENT_TYPES),)),
        Column("event_ts", UTC_TIMESTAMP, "Event time, UTC; on the partition day."),
        Column("amount", pl.Float64, "Purchase amount in `currency`; null otherwise.", True, checks=(("gt", 0),)),
        Column("currency", pl.String, "ISO-4217 code of a purchase.", True, checks=(("str_matches", r"^[A-Z]{3}$"),)),
        Column("usd_per_unit", pl.Float64, "The day's USD rate of `currency`.", True, checks=(("gt", 0),)),
        Column("amount_usd", pl.Float64, "amount × usd_per_unit, for purchases.", True, checks=(("gt", 0),)),
        Column("country", pl.String, "ISO-3166 alpha-2, optional.", True, checks=(("str_matches", r"^[A-Z]{2}$"),)),
        Column("device", pl.String, "web, ios or android, optional.", True, checks=(("isin", DEVICES),)),
        Column("metadata", pl.String, "Free-form JSON object as text, optional.", True),
        SOURCE_FILE,
        SOURCE_LINE,
    ),
    rules=(
        RowRule("event_ts is not on the partition day", pl.col("event_ts").dt.date() == pl.col("date")),
        RowRule(
            "a purchase lacks amount_usd, or a non-purchase has one",
            (pl.col("event_type") == "purchase") == pl.col("amount_usd").is_not_null(),
        ),
    ),
)

RejectedEvents = TableModel(
    "RejectedEvents",
    (
        PARTITION_DAY,
        Column("event_id", pl.String, "The record's event_id, when it had one.", nullable=True),
        SOURCE_FILE,
        SOURCE_LINE,
        Column("raw_record", pl.String, "The record as landed (JSON of its fields once parsed)."),
        Column("reject_reason", pl.String, "Every rule the record broke.", checks=(("str_length", {"min_value": 1}),)),
    ),
)

DailyUserMetrics = TableModel(
    "DailyUserMetrics",
    (
        PARTITION_DAY,
        Column("user_id", pl.Int64, "User id.", checks=(("gt", 0),)),
        Column("events", pl.UInt32, "Clean events of the user that day.", checks=(("ge", 1),)),
        Column("sessions", pl.UInt32, "Distinct session_id.", checks=(("ge", 1),)),
        Column("purchases", pl.UInt32, "Purchase events.", checks=(("ge", 0),)),
        Column("revenue_usd", pl.Float64, "Sum of amount_usd; 0 when none.", checks=(("ge", 0),)),
        Column("first_event_ts", UTC_TIMESTAMP, "Earliest event_ts."),
        Column("last_event_ts", UTC_TIMESTAMP, "Latest event_ts."),
    ),
    unique=("date", "user_id"),
    rules=(
        RowRule(
            "sessions > events, or first_event_ts after last_event_ts",
            (pl.col("sessions") <= pl.col("events")) & (pl.col("first_event_ts") <= pl.col("last_event_ts")),
        ),
    ),
)

DailyEventSummary = TableModel(
    "DailyEventSummary",
    (
        PARTITION_DAY,
        Column("event_type", pl.String, "Event type present that day.", checks=(("isin", EVENT_TYPES),)),
        Column("events", pl.UInt32, "Clean events of that type.", checks=(("ge", 1),)),
        Column("users", pl.UInt32, "Distinct users with that type.", checks=(("ge", 1),)),
        Column("revenue_usd", pl.Float64, "Sum of amount_usd; 0 for types without purchases.", checks=(("ge", 0),)),
    ),
    unique=("date", "event_type"),
)

RollingRevenue7d = TableModel(
    "RollingRevenue7d",
    (
        Column("date", pl.Date, "Last day of the window.", unique=True),
        Column("revenue_usd_7d", pl.Float64, "Revenue (USD) of the 7 days ending `date`.", checks=(("ge", 0),)),
        Column("active_users_7d", pl.UInt32, "Distinct users of the 7 days ending `date`.", checks=(("ge", 0),)),
        Column("window_start", pl.Date, "First day of the window."),
        Column(
            "days_in_window",
            pl.UInt32,
            "Window days on or after the start date (earlier count as empty).",
            checks=(("in_range", {"min_value": 1, "max_value": ROLLING_WINDOW_DAYS}),),
        ),
    ),
)

EVENT_FIELD_AS_LANDED = {
    "event_id": "Event id, as landed.",
    "user_id": "User id, as landed (typed and checked > 0 in clean_events).",
    "session_id": "Session id, as landed.",
    "event_type": "Event type, as landed (one of " + ", ".join(EVENT_TYPES) + " once clean).",
    "event_ts": "Event time as landed: ISO-8601 with an offset or Z.",
    "amount": "Purchase amount as landed, in `currency`.",
    "currency": "ISO-4217 code as landed (purchases).",
    "country": "ISO-3166 alpha-2 as landed, optional.",
    "device": "Device as landed (web, ios or android), optional.",
    "metadata": "Free-form JSON object as landed, optional.",
}
INGESTED_AT_COLUMN = Column("_ingested_at", UTC_TIMESTAMP, "When the run read the landing files (UTC).")

# Every landed field is text here: the raw layer keeps what landed, and typing is clean_events' job.
RawEvents = TableModel(
    "RawEvents",
    (
        PARTITION_DAY,
        *(Column(name, pl.String, text, nullable=True) for name, text in EVENT_FIELD_AS_LANDED.items()),
        Column(
            "_extra_columns",
            pl.String,
            "Fields beyond the contract's (schema drift) as one JSON object; null when the record has none.",
            nullable=True,
        ),
        SOURCE_FILE,
        SOURCE_LINE,
        INGESTED_AT_COLUMN,
    ),
    unique=("_source_file", "_source_line"),  # a landing record appears once
)

RawFxRates = TableModel(
    "RawFxRates",
    (
        PARTITION_DAY,
        Column(
            "currency",
            pl.String,
            "ISO-4217 code; one rate per currency a day.",
            unique=True,
            checks=(("str_matches", r"^[A-Z]{3}$"),),
        ),  # fmt: skip
        Column("usd_per_unit", pl.Float64, "US dollars per unit of `currency`, > 0.", checks=(("gt", 0),)),
        SOURCE_FILE,
        SOURCE_LINE,
        INGESTED_AT_COLUMN,
    ),
)
