"""Raw text records to typed, validated, de-duplicated events (pure Polars, lazy)."""

from dataclasses import dataclass
from datetime import date

import polars as pl

from pipeline_assets.transforms.json_text import flat_object, is_json_object
from pipeline_assets.transforms.landing_file import EXTRA_COLUMNS, SOURCE_FILE, SOURCE_LINE, UNPARSABLE_SCHEMA

EVENT_COLUMNS = (
    "event_id", "user_id", "session_id", "event_type", "event_ts",
    "amount", "currency", "country", "device", "metadata",
)  # fmt: skip
EVENT_TYPES = ("view", "click", "add_to_cart", "purchase", "login", "logout", "search")
DEVICES = ("web", "ios", "android")

CLEAN_COLUMNS = {
    "date": pl.Date,
    "event_id": pl.String,
    "user_id": pl.Int64,
    "session_id": pl.String,
    "event_type": pl.String,
    "event_ts": pl.Datetime("us", "UTC"),
    "amount": pl.Float64,
    "currency": pl.String,
    "usd_per_unit": pl.Float64,
    "amount_usd": pl.Float64,
    "country": pl.String,
    "device": pl.String,
    "metadata": pl.String,
    SOURCE_FILE: pl.String,
    SOURCE_LINE: pl.Int64,
}
FX_RATE_COLUMNS = {"currency": pl.String, "usd_per_unit": pl.Float64, SOURCE_FILE: pl.String, SOURCE_LINE: pl.Int64}
REJECTED_COLUMNS = {"date": pl.Date, "event_id": pl.String, **UNPARSABLE_SCHEMA}
ROW = "_row"  # a record's position in the day's raw records
_TYPED = ("user_id", "event_ts", "amount", "currency")  # clean takes these from their typed "_" column

# event_ts: "ISO-8601 timestamp with offset or Z". Accepted spellings of an instant (the grammar and
# its reasons are in pipeline_assets_tests/reference_parsing.py, section 3, with a Python reference):
#   date and time both extended (2024-03-01T12:34:56) or both basic (20240301T123456); separator
#   "T", "t" or a space (RFC 3339 5.6 allows lower case and, for readability, a space); time to the
#   second, minute or hour (reduced precision); with seconds, a fraction of any number of digits
#   after "." or ",", TRUNCATED to the microsecond; then Z, z, ±hh, ±hhmm or ±hh:mm (offset <= 23:59).
# Ordinal/week dates, fractions of hours or minutes, hour 24 and leap second 60 (a Datetime cannot
# hold it) are not accepted.
# Only ASCII digits ([0-9]: the regex engine's \d is Unicode). The parts are matched once, rebuilt
# as one canonical local spelling parsed by _TIMESTAMP_FORMAT (which validates the calendar), and
# the offset is subtracted as a duration.
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%.f"
_COMMON_INSTANT = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](?:\.[0-9]{1,6})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
_ISO_INSTANT = (
    r"^(?:(?P<Y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})[Tt ]"
    r"(?P<H>[0-9]{2})(?::(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:[.,](?P<f>[0-9]+))?)?)?"
    r"|(?P<bY>[0-9]{4})(?P<bmo>[0-9]{2})(?P<bd>[0-9]{2})[Tt ]"
    r"(?P<bH>[0-9]{2})(?:(?P<bM>[0-9]{2})(?:(?P<bS>[0-9]{2})(?:[.,](?P<bf>[0-9]+))?)?)?)"
    r"(?:(?P<z>[Zz])|(?P<sign>[+-])(?P<oh>[0-9]{2})(?::?(?P<om>[0-9]{2}))?)$"
)
# Ends like an offset: Z/z, ±hhmm or ±hh:mm, or ±hh right after a time (so that a date alone,
# "2024-03-01", has no offset rather than "-01").
_HAS_OFFSET = r"(?:[Zz]|[+-][0-9]{2}:?[0-9]{2}|[Tt ][0-9:.,]*[+-][0-9]{2})$"


@dataclass(frozen=True)
class Reconciliation:
    """The contract's per-partition equation: landing records = clean + rejected + duplicates."""

    landing_records: int
    clean_rows: int
    rejected_rows: int
    duplicates_removed: int

    @property
    def balanced(self) -> bool:
        return self.landing_records == self.clean_rows + self.rejected_rows + self.duplicates_removed

    def as_metadata(self) -> dict[str, int | bool]:
        return {
            "landing_records": self.landing_records,
            "clean_rows": self.clean_rows,
            "rejected_rows": self.rejected_rows,
            "duplicates_removed": self.duplicates_removed,
            "balanced": self.balanced,
        }


@dataclass(frozen=True)
class CleanDay:
    """A day's records split by plans over its raw records, for one pass to compute together:
    sink ``clean`` and collect ``invalid_rows`` in the same query (``pl.collect_all``, as
    `storage.WriteAlongside` does), then make `rejected` from the rows collected."""

    clean: pl.LazyFrame  # the clean events, for a sink: nothing of it is computed yet
    invalid_rows: pl.LazyFrame  # the `_row` of each record that breaks a rule
    duplicates_removed: int
    numbered: pl.LazyFrame  # the raw records with their `_row`
    unparsable: pl.LazyFrame
    rates: dict[str, float]
    day: date

    def rejected(self, invalid_rows: pl.DataFrame) -> pl.DataFrame:
        """rejected_events: the unparsable records and those of ``invalid_rows`` (as collected),
        with their reasons, in (source file, line) order. The few invalid records are picked
        from the raw ones again and typed on their own, in memory: Polars 2.1's streaming engine
        panicked formatting the reasons of a small, chunked selection ("assertion failed: i <
        self.len()")."""
        picked, typed = _picked(self.numbered, invalid_rows[ROW], self.rates, self.day)
        invalid = (
            typed.select(ROW, "date", "event_id", SOURCE_FILE, SOURCE_LINE, _reject_reason().alias("reject_reason"))
            .collect(engine="in-memory")
            .join(picked.select(ROW, _landed_record().alias("raw_record")), on=ROW, how="left")  # untrimmed
        )
        unparsable = self.unparsable.collect().select(
            pl.lit(self.day).alias("date"), pl.lit(None, pl.String).alias("event_id"), *UNPARSABLE_SCHEMA
        )
        rejected = pl.concat([unparsable, invalid.select(list(REJECTED_COLUMNS))]).sort([SOURCE_FILE, SOURCE_LINE])
        return rejected.cast(REJECTED_COLUMNS)  # type: ignore[arg-type]

    def collect(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The clean events and rejected_events in memory (for small days and tests)."""
        clean, invalid_rows = pl.collect_all([self.clean, self.invalid_rows], engine="streaming")
        return clean, self.rejected(invalid_rows)


def clean_day(raw: pl.LazyFrame, unparsable: pl.LazyFrame, fx_rates: pl.LazyFrame, day: date) -> CleanDay:
    """Split one day's raw records (``raw_events`` rows: the contract's fields as text,
    ``_extra_columns``, the lineage; in (source file, line) order) into clean events and records
    that break a rule.

    ``fx_rates`` holds ``currency`` and ``usd_per_unit`` (Float64); USD needs no row. Both
    tables come out in (source file, line) order.

    ``raw`` is never held whole, so that a day larger than memory cleans in a batch's memory,
    and the day's records are typed in one pass: a cheap pass first finds the ids that may be
    re-sent (and whether any event_ts needs the full ISO-8601 grammar); those few records are
    picked and typed on their own to find the re-sendings that lose; then one plan types every
    other record, for clean events to be sunk and the rows that break a rule to be collected in
    the same pass.
    """
    rates = _rates(fx_rates)
    id_hashes, uncommon_instants = _id_hashes(raw)
    numbered = raw.with_row_index(ROW)
    # Re-sent ids share their hash with their first sending; the few rows whose hash is not
    # unique are compared as text (a collision of two different ids is not a re-send).
    maybe_resent = id_hashes.filter(pl.col("_id_hash").is_duplicated() & pl.col("_id_hash").is_not_null())[ROW]
    del id_hashes
    dropped = _losing_resendings(numbered, maybe_resent, rates, day)
    kept = numbered.filter(~pl.col(ROW).is_in(dropped.implode())).with_columns(_instant(uncommon_instants))
    typed = _typed(kept, rates, day).with_columns(_breaks_a_rule().alias("_invalid"))
    return CleanDay(
        clean=typed.filter(~pl.col("_invalid")).select(
            *(pl.col(f"_{c}").alias(c) if c in _TYPED else pl.col(c) for c in CLEAN_COLUMNS)
        ),
        invalid_rows=typed.filter(pl.col("_invalid")).select(ROW),
        duplicates_removed=dropped.len(),
        numbered=numbered,
        unparsable=unparsable,
        rates=rates,
        day=day,
    )


def _picked(
    numbered: pl.LazyFrame, rows: pl.Series, rates: dict[str, float], day: date
) -> tuple[pl.DataFrame, pl.LazyFrame]:
    """The raw records at ``rows``, picked by the streaming engine (the in-memory one would read
    the whole day first) into one chunk, and a plan of them typed, to run in memory. No rows, no
    pass over the day."""
    if rows.is_empty():
        picked = numbered.head(0).collect()
    else:
        picked = numbered.filter(pl.col(ROW).is_in(rows.implode())).collect(engine="streaming").rechunk()
    return picked, _typed(picked.with_columns(_instants(picked)).lazy(), rates, day)


def _id_hashes(raw: pl.LazyFrame) -> tuple[pl.DataFrame, bool]:
    """Every record's ``_row`` and the hash of its event_id (null where it has none), in one pass
    over two columns; and whether the full ISO-8601 grammar (several times slower than the common
    spelling's parse) reads any record's event_ts that the common spelling does not match, so
    that the typing pass tries it too. Those event_ts are few, and are read in memory."""
    event_id, event_ts = _blank_to_null("event_id"), _blank_to_null("event_ts")
    hashes, others = pl.collect_all(
        [
            raw.select(pl.when(event_id.is_not_null()).then(event_id.hash()).alias("_id_hash")).with_row_index(ROW),
            raw.select(event_ts).filter(
                pl.col("event_ts").is_not_null() & ~pl.col("event_ts").str.contains(_COMMON_INSTANT)
            ),
        ],
        engine="streaming",
    )
    return hashes, bool(others.select(_utc_instant_of(pl.col("event_ts")).is_not_null().any()).item())


def _losing_resendings(
    numbered: pl.LazyFrame, maybe_resent: pl.Series, rates: dict[str, float], day: date
) -> pl.Series:
    """The ``_row`` of each valid re-sending that loses to another: one row per event_id stays,
    the latest event_ts, ties to the last by (source file, line)."""
    _, typed = _picked(numbered, maybe_resent, rates, day)
    resent = (
        typed.filter(~_breaks_a_rule())
        .select(ROW, "event_id", "_event_ts", SOURCE_FILE, SOURCE_LINE)
        .collect(engine="in-memory")
        .filter(pl.col("event_id").is_duplicated())
    )
    winners = resent.sort(["event_id", "_event_ts", SOURCE_FILE, SOURCE_LINE]).unique("event_id", keep="last")
    return resent[ROW].filter(~resent[ROW].is_in(winners[ROW].implode()))


def _landed_record() -> pl.Expr:
    """A record as landed, as JSON: the contract's fields untrimmed, then its drifted ones (the
    two objects' text joined, so that no drifted name is ever parsed as a column name)."""
    fields = pl.struct(*EVENT_COLUMNS).struct.json_encode()
    extras = pl.col(EXTRA_COLUMNS)
    joined = pl.concat_str(fields.str.head(-1), pl.lit(","), extras.str.slice(1))
    return pl.when(extras.is_null()).then(fields).otherwise(joined)


def _rates(fx_rates: pl.LazyFrame) -> dict[str, float]:
    """The day's USD rate per currency; USD itself is 1 unless the day says otherwise."""
    rates = fx_rates.select("currency", "usd_per_unit").collect()
    return {"USD": 1.0, **dict(zip(rates["currency"].to_list(), rates["usd_per_unit"].to_list(), strict=True))}


def _blank_to_null(column: str) -> pl.Expr:
    # Not .replace("", None): faster on a whole column, but the streaming engine cannot run it in
    # batches and holds the trimmed text of every column at once (+2.4 GB at 10M records).
    text = pl.col(column).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text).alias(column)


def _typed(raw: pl.LazyFrame, rates: dict[str, float], day: date) -> pl.LazyFrame:
    """The landed text trimmed (blank is missing), plus each typed value as ``_<column>``. A pass
    that needs only some of the contract's fields selects them first."""
    present = raw.collect_schema().names()
    texts = raw.with_columns(_blank_to_null(c) for c in EVENT_COLUMNS if c in present)
    is_purchase = pl.col("event_type") == "purchase"
    return (
        texts.with_columns(
            pl.lit(day).alias("date"),
            pl.col("user_id").cast(pl.Int64, strict=False).alias("_user_id"),
            pl.when(is_purchase).then(_finite_decimal("amount")).alias("_amount"),
            pl.when(is_purchase).then(pl.col("currency").str.to_uppercase()).alias("_currency"),
        )
        .with_columns(usd_per_unit=_rate_of(pl.col("_currency"), rates))
        .with_columns(
            amount_usd=pl.when(is_purchase).then(pl.col("_amount") * pl.col("usd_per_unit")),
        )
    )


def _rate_of(currency: pl.Expr, rates: dict[str, float]) -> pl.Expr:
    """The day's USD rate of ``currency`` (null for a currency without one). A chain of
    comparisons, not replace_strict: the streaming engine held the whole day for a mapping
    (+2.3 GiB when clean_events is sunk at 10M records), and a day has few currencies."""
    rate = pl.lit(None, pl.Float64)
    for code, value in rates.items():
        rate = pl.when(currency == code).then(pl.lit(value, pl.Float64)).otherwise(rate)
    return rate


def _common_utc_instant(text: pl.Expr) -> pl.Expr:
    """The instant of the common spelling (2024-03-01T12:34:56[.ffffff] with Z or ±hh:mm) at the
    speed of one native parse; null for every other spelling, which `_utc_instant_of` then reads."""
    parsed = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_unit="us", time_zone="UTC", strict=False)
    return pl.when(text.str.contains(_COMMON_INSTANT)).then(parsed)


def _instants(records: pl.DataFrame) -> pl.Series:
    """``_event_ts``: every record's UTC instant, null where its event_ts is none. The common
    spelling is read for every record; the full grammar only for the few the common one missed,
    picked out first."""
    common = records.select(
        _common_utc_instant(_blank_to_null("event_ts")).alias("_event_ts"), pl.col("event_ts").is_not_null()
    )
    instants = common["_event_ts"]
    rows = (instants.is_null() & common["event_ts"]).arg_true()
    if rows.len() == 0:
        return instants
    others = records.select(pl.col("event_ts").gather(rows)).lazy().select(_blank_to_null("event_ts"))
    read = others.select(_utc_instant_of(pl.col("event_ts"))).collect(engine="in-memory").to_series()
    return instants.scatter(rows, read)


def _instant(uncommon: bool) -> pl.Expr:
    """``_event_ts`` in a lazy pass over every record: the common spelling's instant, and if
    any record of the day has another spelling (``uncommon``), the full grammar's for the rest.
    The full grammar is several times slower, so a day without such spellings skips it."""
    common = _common_utc_instant(_blank_to_null("event_ts"))
    if not uncommon:
        return common.alias("_event_ts")
    return pl.coalesce(common, _utc_instant_of(_blank_to_null("event_ts"))).alias("_event_ts")


def _utc_instant_of(text: pl.Expr) -> pl.Expr:
    """The UTC instant an accepted ISO-8601 spelling means (see _ISO_INSTANT), or null."""
    parts = text.str.extract_groups(_ISO_INSTANT)

    def part(name: str, default: str | None = None) -> pl.Expr:  # the extended or the basic spelling's
        value = pl.coalesce(parts.struct.field(name), parts.struct.field(f"b{name}"))
        return value if default is None else value.fill_null(default)

    fraction = part("f", "").str.slice(0, 6).str.pad_end(6, "0")  # truncated to the microsecond
    second = part("S", "00")
    second = pl.when(second < "60").then(second)  # the parser would take a leap second as the next minute
    local = pl.concat_str(
        part("Y"), pl.lit("-"), part("mo"), pl.lit("-"), part("d"), pl.lit("T"),
        part("H"), pl.lit(":"), part("M", "00"), pl.lit(":"), second, pl.lit("."), fraction,
    ).str.to_datetime(_TIMESTAMP_FORMAT, time_unit="us", strict=False)  # fmt: skip
    hours = parts.struct.field("oh").cast(pl.Int64)
    minutes = parts.struct.field("om").cast(pl.Int64).fill_null(0)
    sign = pl.when(parts.struct.field("sign") == "-").then(-1).otherwise(1)
    offset_minutes = (
        pl.when(parts.struct.field("z").is_not_null())
        .then(0)
        .when((hours <= 23) & (minutes <= 59))
        .then(sign * (hours * 60 + minutes))
    )
    return (local - pl.duration(minutes=offset_minutes)).dt.replace_time_zone("UTC")


# A decimal (amount, usd_per_unit): a finite number in base-10 positional notation with an optional
# power-of-ten exponent, i.e. the JSON number grammar widened as CSV tools write numbers (a leading
# "+", leading zeros, ".5", "5."), ASCII digits only, surrounding whitespace trimmed. "1e3" and
# "3.93e-05" are decimals (Python, pandas and JSON encoders write small rates that way); "1,5",
# "1_000", "0x10", "NaN", "inf" and values beyond Float64 ("1e400") are not. Details and a Python
# reference: pipeline_assets_tests/reference_parsing.py, section 4.
_DECIMAL = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def _finite_decimal(column: str) -> pl.Expr:
    """A decimal (see _DECIMAL) as the nearest Float64, or null for text that is not one."""
    text = pl.col(column).str.strip_chars()
    value = text.cast(pl.Float64, strict=False)
    return pl.when(text.str.contains(_DECIMAL) & value.is_finite()).then(value)


def _reason(condition: pl.Expr, message: pl.Expr | str) -> tuple[pl.Expr, pl.Expr]:
    return condition, pl.lit(message) if isinstance(message, str) else message


def _quoted(column: str) -> pl.Expr:
    return pl.format("'{}'", pl.col(column))


def _reject_reason() -> pl.Expr:
    """Every rule a record breaks, joined by "; " (null when it breaks none)."""
    reasons = [pl.when(condition).then(message) for condition, message in _rules()]
    joined = pl.concat_str(reasons, separator="; ", ignore_nulls=True)
    return pl.when(joined != "").then(joined)


def _breaks_a_rule() -> pl.Expr:
    """Whether a record breaks any rule: cheap, so the reasons are formatted only for those that do."""
    return pl.any_horizontal(condition.fill_null(False) for condition, _ in _rules())


def _rules() -> list[tuple[pl.Expr, pl.Expr]]:
    """Each rule of the contract as (broken, why)."""
    is_purchase = pl.col("event_type") == "purchase"
    ts_day = pl.col("_event_ts").dt.date()
    return [
        _reason(pl.col("event_id").is_null(), "event_id is missing"),
        _reason(pl.col("user_id").is_null(), "user_id is missing"),
        _reason(
            pl.col("user_id").is_not_null() & pl.col("_user_id").is_null(),
            pl.format("user_id {} is not an integer", _quoted("user_id")),
        ),
        _reason(pl.col("_user_id") <= 0, pl.format("user_id {} is not > 0", pl.col("_user_id"))),
        _reason(pl.col("session_id").is_null(), "session_id is missing"),
        _reason(pl.col("event_type").is_null(), "event_type is missing"),
        _reason(
            pl.col("event_type").is_not_null() & ~pl.col("event_type").is_in(EVENT_TYPES),
            pl.format("event_type {} is not one of " + ", ".join(EVENT_TYPES), _quoted("event_type")),
        ),
        _reason(pl.col("event_ts").is_null(), "event_ts is missing"),
        _reason(
            pl.col("event_ts").is_not_null() & ~pl.col("event_ts").str.contains(_HAS_OFFSET),
            pl.format("event_ts {} has no UTC offset", _quoted("event_ts")),
        ),
        _reason(
            pl.col("event_ts").is_not_null()
            & pl.col("event_ts").str.contains(_HAS_OFFSET)
            & pl.col("_event_ts").is_null(),
            pl.format("event_ts {} is not an ISO-8601 timestamp", _quoted("event_ts")),
        ),
        _reason(
            ts_day != pl.col("date"),
            pl.format("event_ts {} falls on {} UTC, not on the partition day", _quoted("event_ts"), ts_day),
        ),
        _reason(is_purchase & pl.col("amount").is_null(), "amount is missing for a purchase"),
        _reason(
            is_purchase & pl.col("amount").is_not_null() & pl.col("_amount").is_null(),
            pl.format("amount {} is not a decimal", _quoted("amount")),
        ),
        _reason(is_purchase & (pl.col("_amount") <= 0), pl.format("amount {} is not > 0", _quoted("amount"))),
        _reason(is_purchase & pl.col("currency").is_null(), "currency is missing for a purchase"),
        _reason(
            is_purchase & pl.col("_currency").is_not_null() & pl.col("usd_per_unit").is_null(),
            pl.format("currency {} has no fx rate on {}", _quoted("_currency"), pl.col("date")),
        ),
        _reason(
            pl.col("country").is_not_null() & ~pl.col("country").str.contains(r"^[A-Z]{2}$"),
            pl.format("country {} is not an ISO-3166 alpha-2 code", _quoted("country")),
        ),
        _reason(
            pl.col("device").is_not_null() & ~pl.col("device").is_in(DEVICES),
            pl.format("device {} is not one of " + ", ".join(DEVICES), _quoted("device")),
        ),
        _reason(
            pl.col("metadata").is_not_null() & ~_is_json_object(pl.col("metadata")),
            pl.format("metadata {} is not a JSON object", _quoted("metadata")),
        ),
    ]


def _is_json_object(text: pl.Expr) -> pl.Expr:
    """Whether trimmed text is one strict JSON object (the contract's "JSON object as text").
    A flat object is recognised by a regular expression (`json_text.flat_object`), ten times
    cheaper than parsing it; any other text is read by Polars' JSON parser, which sees only those
    rows (it skips the nulls the others become); and what that parser refuses yet reads as an
    object ("{...}": it refuses numbers beyond Float64 and nesting beyond 128 levels, which JSON
    allows) by Python's, row by row: few rows, if any."""
    other = pl.when(~text.str.contains(f"^{flat_object()}$")).then(text)
    by_polars = other.str.starts_with("{") & other.str.json_path_match("$").is_not_null()
    refused = pl.when(~by_polars & other.str.starts_with("{") & other.str.ends_with("}")).then(other)
    by_python = refused.map_elements(is_json_object, return_dtype=pl.Boolean)
    return other.is_null() | by_polars | by_python.fill_null(False)


def type_fx_rates(records: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Landed fx rate records typed (usd_per_unit as Float64), one per currency, plus every
    problem found in them.

    A rate must be a decimal > 0 for a three-letter currency, and a currency has one rate a day:
    two different rates are a problem, the same rate landed again (in another file, or spelled
    "1.10" beside "1.1") is not, and is kept once, at its first landing (file, line), so that
    ``raw_fx_rates`` holds one row per currency for its audit and for any join on it.
    """
    if records.height == 0:  # no file that day, or files without records
        return pl.DataFrame(schema=FX_RATE_COLUMNS), []
    problems = [f"missing column {c!r}" for c in ("currency", "usd_per_unit") if c not in records.columns]
    if problems or records.is_empty():
        return pl.DataFrame(schema=FX_RATE_COLUMNS), problems
    typed = records.select(
        pl.col("currency").str.strip_chars().str.to_uppercase(),
        _finite_decimal("usd_per_unit").alias("usd_per_unit"),
        pl.col("usd_per_unit").alias("_landed_rate"),
        SOURCE_FILE,
        SOURCE_LINE,
    )
    bad = typed.filter(
        pl.col("usd_per_unit").is_null()
        | (pl.col("usd_per_unit") <= 0)
        | ~pl.col("currency").str.contains(r"^[A-Z]{3}$").fill_null(False)
    )
    problems = [
        f"{row[SOURCE_FILE]} line {row[SOURCE_LINE]}: currency {row['currency']!r}, usd_per_unit {row['_landed_rate']!r}"
        for row in bad.head(20).iter_rows(named=True)
    ]
    conflicting = (
        typed.group_by("currency").agg(pl.col("usd_per_unit").n_unique().alias("rates")).filter(pl.col("rates") > 1)
    )
    problems += [f"currency {c!r} has conflicting rates" for c in conflicting["currency"].sort()]
    return typed.drop("_landed_rate").unique("currency", keep="first", maintain_order=True), problems
