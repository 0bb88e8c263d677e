"""Pandera (polars backend) models of every checked table; their descriptions feed the UI schema."""

import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import Date, DateTime

from pipeline_assets.transforms.aggregates import ROLLING_WINDOW_DAYS
from pipeline_assets.transforms.clean import DEVICES, EVENT_TYPES

UTC_TIMESTAMP = DateTime(time_zone="UTC", time_unit="us")


class _Strict(pa.DataFrameModel):
    class Config:
        strict = True  # an unexpected or missing column is a failure, not a surprise downstream
        ordered = False


class CleanEvents(_Strict):
    date: Date = pa.Field(description="Partition day (UTC).")
    event_id: str = pa.Field(unique=True, description="Event id; one row per id (latest event_ts wins).")
    user_id: pl.Int64 = pa.Field(gt=0, description="User id, > 0.")
    session_id: str = pa.Field(description="Session id.")
    event_type: str = pa.Field(isin=EVENT_TYPES, description="One of " + ", ".join(EVENT_TYPES) + ".")
    event_ts: UTC_TIMESTAMP = pa.Field(description="Event time, UTC; on the partition day.")
    amount: pl.Float64 = pa.Field(nullable=True, gt=0, description="Purchase amount in `currency`; null otherwise.")
    currency: str = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$", description="ISO-4217 code of a purchase.")
    usd_per_unit: pl.Float64 = pa.Field(nullable=True, gt=0, description="The day's USD rate of `currency`.")
    amount_usd: pl.Float64 = pa.Field(nullable=True, gt=0, description="amount × usd_per_unit, for purchases.")
    country: str = pa.Field(nullable=True, str_matches=r"^[A-Z]{2}$", description="ISO-3166 alpha-2, optional.")
    device: str = pa.Field(nullable=True, isin=DEVICES, description="web, ios or android, optional.")
    metadata: str = pa.Field(nullable=True, description="Free-form JSON object as text, optional.")
    source_file: str = pa.Field(alias="_source_file", description="Landing file the record came from.")
    source_line: pl.Int64 = pa.Field(alias="_source_line", ge=1, description="Line the record starts on.")

    @pa.dataframe_check(error="event_ts is not on the partition day")
    def event_on_partition_day(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("event_ts").dt.date() == pl.col("date"))

    @pa.dataframe_check(error="a purchase lacks amount_usd, or a non-purchase has one")
    def amount_usd_only_for_purchases(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("event_type") == "purchase") == pl.col("amount_usd").is_not_null())


class RejectedEvents(_Strict):
    date: Date = pa.Field(description="Partition day (UTC).")
    event_id: str = pa.Field(nullable=True, description="The record's event_id, when it had one.")
    source_file: str = pa.Field(alias="_source_file", description="Landing file the record came from.")
    source_line: pl.Int64 = pa.Field(alias="_source_line", ge=1, description="Line the record starts on.")
    raw_record: str = pa.Field(description="The record as landed (JSON of its fields once parsed).")
    reject_reason: str = pa.Field(str_length={"min_value": 1}, description="Every rule the record broke.")


class DailyUserMetrics(_Strict):
    date: Date = pa.Field(description="Partition day (UTC).")
    user_id: pl.Int64 = pa.Field(gt=0, description="User id.")
    events: pl.UInt32 = pa.Field(ge=1, description="Clean events of the user that day.")
    sessions: pl.UInt32 = pa.Field(ge=1, description="Distinct session_id.")
    purchases: pl.UInt32 = pa.Field(ge=0, description="Purchase events.")
    revenue_usd: pl.Float64 = pa.Field(ge=0, description="Sum of amount_usd; 0 when none.")
    first_event_ts: UTC_TIMESTAMP = pa.Field(description="Earliest event_ts.")
    last_event_ts: UTC_TIMESTAMP = pa.Field(description="Latest event_ts.")

    class Config:
        unique = ["date", "user_id"]

    @pa.dataframe_check(error="sessions > events, or first_event_ts after last_event_ts")
    def consistent(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("sessions") <= pl.col("events")) & (pl.col("first_event_ts") <= pl.col("last_event_ts"))
        )


class DailyEventSummary(_Strict):
    date: Date = pa.Field(description="Partition day (UTC).")
    event_type: str = pa.Field(isin=EVENT_TYPES, description="Event type present that day.")
    events: pl.UInt32 = pa.Field(ge=1, description="Clean events of that type.")
    users: pl.UInt32 = pa.Field(ge=1, description="Distinct users with that type.")
    revenue_usd: pl.Float64 = pa.Field(ge=0, description="Sum of amount_usd; 0 for types without purchases.")

    class Config:
        unique = ["date", "event_type"]


class RollingRevenue7d(_Strict):
    date: Date = pa.Field(unique=True, description="Last day of the window.")
    revenue_usd_7d: pl.Float64 = pa.Field(ge=0, description="Revenue (USD) of the 7 days ending `date`.")
    active_users_7d: pl.UInt32 = pa.Field(ge=0, description="Distinct users of the 7 days ending `date`.")
    window_start: Date = pa.Field(description="First day of the window.")
    days_in_window: pl.UInt32 = pa.Field(
        ge=1, le=ROLLING_WINDOW_DAYS, description="Window days on or after the start date (earlier count as empty)."
    )
