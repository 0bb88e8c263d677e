"""Sample landing data per the data contract, with every defect kind it names, and a manifest.

Each day gets three event files (CSV with BOM and CRLF, gzip CSV with other column order and a
drifted extra column, JSON Lines) and one fx-rates file. Valid events are whole user sessions
(``sample_sessions``: a funnel from view to purchase, activity by hour of day, each country's
usual currency, search queries with their typos); their ``metadata`` carries quoted commas,
quotes and line breaks. A fixed number of records per defect kind is injected, and
``manifest.json`` records what went where, with the counts the pipeline must reproduce.

The benchmarks ask for shares instead of fixed counts (``duplicate_share``, ``invalid_share``,
``unparsable_share``) or for no unparsable line at all (``format_defects=False``). The same seed
gives the same bytes. Records are built with lookups instead of per-record formatting (a million
records in well under 30 s on the 2-core machine).
"""

import gzip
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pipeline_assets.sample_files import (
    BROKEN_LINES,
    COLUMN_INDEX,
    EXTRA_COLUMN,
    csv_bytes,
    jsonl_bytes,
    shuffled_columns,
)
from pipeline_assets.sample_sessions import FX_RATES, OTHER_METADATA, Population, population, session_events
from pipeline_assets.storage import Store
from pipeline_assets.transforms.clean import DEVICES, EVENT_COLUMNS, EVENT_TYPES

CURRENCIES = ["USD", *FX_RATES]
COUNTRIES = ["US", "DE", "GB", "JP", "FR", "BR"]
# Bumped whenever the bytes written for a seed change, so that caches of generated data (the
# benchmarks') can tell their data from today's. 2: valid events became user sessions.
SAMPLE_VERSION = 2

# Defects that make a record rejected (one field each), then those of the file format.
FIELD_DEFECTS = {
    "missing_event_id": {"event_id": ""},
    "user_id_not_integer": {"user_id": "abc"},
    "user_id_not_positive": {"user_id": "0"},
    "missing_session_id": {"session_id": ""},
    "unknown_event_type": {"event_type": "purchased"},
    "timestamp_not_iso": {"event_ts": "{day}T25:61:00Z"},
    "timestamp_without_offset": {"event_ts": "{day}T12:00:00"},
    "timestamp_on_another_day": {"event_ts": "{previous_day}T23:59:59Z"},
    "purchase_without_amount": {"event_type": "purchase", "amount": "", "currency": "USD"},
    "purchase_amount_not_positive": {"event_type": "purchase", "amount": "-5.00", "currency": "USD"},
    "purchase_without_currency": {"event_type": "purchase", "amount": "10.00", "currency": ""},
    "currency_without_rate": {"event_type": "purchase", "amount": "10.00", "currency": "CHF"},
    "invalid_country": {"country": "usa"},
    "invalid_device": {"device": "fridge"},
}
FORMAT_DEFECTS = ("wrong_field_count", "not_utf8", "broken_json", "json_not_an_object")

# What one record is drawn from; a record is a tuple of strings in EVENT_COLUMNS order.
_OFFSETS = (0, 0, 2, -5, 9)  # hours; 0 is written as "Z"
_USER_IDS = tuple(str(n) for n in range(1, 501))
_SESSION_IDS = tuple(f"s{n}" for n in range(1, 2_001))
_COUNTRY_CHOICES = (*COUNTRIES, "")
_DEVICE_CHOICES = (*DEVICES, "")
_CLOCK: tuple[str, ...] = ()  # "HH:MM:SS" for every second of a day, built on first use


@dataclass
class DayManifest:
    date: str
    files: list[str] = field(default_factory=list)
    landing_records: int = 0
    expected_clean: int = 0
    expected_rejected: int = 0
    expected_duplicates: int = 0
    defects: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _DefectCounts:
    """How many records of each defect kind a day gets."""

    field: dict[str, int]  # per FIELD_DEFECTS kind
    duplicates: int
    unparsable: dict[str, int]  # per FORMAT_DEFECTS kind

    @property
    def injected(self) -> int:
        return sum(self.field.values()) + self.duplicates + sum(self.unparsable.values())


def generate(
    start: date,
    days: int,
    rows_per_day: int,
    out: str,
    seed: int = 7,
    defects_per_kind: int = 2,
    *,
    duplicate_share: float | None = None,
    invalid_share: float | None = None,
    unparsable_share: float | None = None,
    format_defects: bool = True,
) -> dict:
    """Write ``days`` days of landing data from ``start`` under ``out`` (a path or URL).

    Each day holds ``rows_per_day`` landing records. By default every defect kind gets
    ``defects_per_kind`` records; a share (of ``rows_per_day``, rounded) replaces that count for
    re-sent duplicates, for invalid records (spread over the field defect kinds) or for unparsable
    lines (spread over the format defect kinds). ``format_defects=False`` writes no unparsable line.
    """
    options = {
        "duplicate_share": duplicate_share,
        "invalid_share": invalid_share,
        "unparsable_share": unparsable_share,
        "format_defects": format_defects,
    }
    counts = _defect_counts(rows_per_day, defects_per_kind, **options)
    store = Store(out)
    manifest = {"start": start.isoformat(), "days": days, "rows_per_day": rows_per_day, "seed": seed, "by_day": []}
    if not format_defects or any(share is not None for share in (duplicate_share, invalid_share, unparsable_share)):
        manifest["options"] = options  # only when asked for, so the default manifest stays as it was
    people = population(seed, rows_per_day)
    for offset in range(days):
        day = start + timedelta(days=offset)
        rng = random.Random(f"{seed}:{day.isoformat()}")
        manifest["by_day"].append(_write_day(store, day, rows_per_day, rng, counts, people).__dict__)
    store.write_bytes("manifest.json", json.dumps(manifest, indent=2).encode())
    return manifest


def _defect_counts(
    rows: int,
    per_kind: int,
    duplicate_share: float | None,
    invalid_share: float | None,
    unparsable_share: float | None,
    format_defects: bool,
) -> _DefectCounts:
    for name, share in (("duplicate", duplicate_share), ("invalid", invalid_share), ("unparsable", unparsable_share)):
        if share is not None and not 0 <= share < 1:
            raise ValueError(f"{name}_share must be at least 0 and below 1, got {share}")
    if not format_defects and unparsable_share:
        raise ValueError("unparsable_share needs format_defects=True")
    if not format_defects:
        unparsable = dict.fromkeys(FORMAT_DEFECTS, 0)
    elif unparsable_share is not None:
        unparsable = _spread(round(unparsable_share * rows), FORMAT_DEFECTS)
    else:
        unparsable = dict.fromkeys(FORMAT_DEFECTS, per_kind)
    return _DefectCounts(
        field=dict.fromkeys(FIELD_DEFECTS, per_kind)
        if invalid_share is None
        else _spread(round(invalid_share * rows), FIELD_DEFECTS),
        duplicates=per_kind if duplicate_share is None else round(duplicate_share * rows),
        unparsable=unparsable,
    )


def _spread(total: int, kinds: Iterable[str]) -> dict[str, int]:
    """``total`` records over ``kinds`` as evenly as possible, the first kinds taking the remainder."""
    kinds = list(kinds)
    share, remainder = divmod(total, len(kinds))
    return {kind: share + (i < remainder) for i, kind in enumerate(kinds)}


def _write_day(
    store: Store, day: date, rows_per_day: int, rng: random.Random, counts: _DefectCounts, people: Population
) -> DayManifest:
    manifest = DayManifest(date=day.isoformat())
    injected = counts.injected
    if rows_per_day < injected + 1:
        raise ValueError(f"rows_per_day must be at least {injected + 1} to hold every defect kind")
    valid = _events(rng, day, rows_per_day - injected, people)
    invalid = []
    for kind, change in FIELD_DEFECTS.items():
        for n in range(counts.field[kind]):
            record = dict(zip(EVENT_COLUMNS, _event(rng, day, f"{kind}-{n}"), strict=True))
            record.update({k: v.format(day=day, previous_day=day - timedelta(days=1)) for k, v in change.items()})
            invalid.append(tuple(record.values()))
    duplicates = []
    ts = COLUMN_INDEX["event_ts"]
    for original in rng.sample(valid, counts.duplicates):
        resent = list(original)  # a re-sent event: same id, a later timestamp within the day
        resent[ts] = _timestamp(_parse_ts(original[ts]) + timedelta(seconds=1), rng)
        duplicates.append(tuple(resent))
    manifest.defects = dict(counts.field) | {"duplicate": counts.duplicates}
    records = valid + invalid + duplicates
    rng.shuffle(records)
    thirds = len(records) // 3
    parts = [records[:thirds], records[thirds : 2 * thirds], records[2 * thirds :]]
    prefix = f"events/date={day.isoformat()}"
    broken_csv = [BROKEN_LINES[kind] * counts.unparsable[kind] for kind in ("wrong_field_count", "not_utf8")]
    files = {
        f"{prefix}/part-000.csv": csv_bytes(parts[0], shuffled_columns(rng), bom=True, crlf=True, broken=broken_csv),
        f"{prefix}/part-001.csv.gz": gzip.compress(csv_bytes(parts[1], [*EVENT_COLUMNS[::-1], EXTRA_COLUMN], rng=rng), mtime=0),
        f"{prefix}/part-002.jsonl": jsonl_bytes(parts[2], counts.unparsable),
    }  # fmt: skip
    manifest.defects |= counts.unparsable
    for key, content in files.items():
        store.write_bytes(key, content)
    rates = "currency,usd_per_unit\n" + "".join(f"{c},{r}\n" for c, r in FX_RATES.items())
    fx_key = f"fx_rates/date={day.isoformat()}/rates.csv"
    store.write_bytes(fx_key, rates.encode())
    unparsable = sum(counts.unparsable.values())
    manifest.files = [*files, fx_key]
    manifest.landing_records = len(records) + unparsable
    manifest.expected_clean = len(valid)
    manifest.expected_duplicates = len(duplicates)
    manifest.expected_rejected = len(invalid) + unparsable
    return manifest


def _events(rng: random.Random, day: date, count: int, people: Population) -> list[tuple[str, ...]]:
    """``count`` valid events of whole sessions, serials 0…"""
    text = _DayText.of(day)
    dates = text.dates

    def write_ts(second: int, offset_index: int) -> str:
        return _day_timestamp(dates, second, _OFFSETS[offset_index])

    return session_events(people, rng._randbelow, count, text.id_prefix, f"{text.id_prefix}s", write_ts, len(_OFFSETS))


def _event(rng: random.Random, day: date, serial: object) -> tuple[str, ...]:
    """One valid event in EVENT_COLUMNS order, on its own (the base a defect is written into)."""
    return _draw(rng, _DayText.of(day), str(serial))


@dataclass(frozen=True)
class _DayText:
    """A day's text pieces, formatted once instead of once per record."""

    id_prefix: str  # "20240101-"
    dates: tuple[str, str, str]  # the day before, the day, the day after, as YYYY-MM-DD

    @classmethod
    def of(cls, day: date) -> "_DayText":
        dates = tuple((day + timedelta(days=n)).isoformat() for n in (-1, 0, 1))
        return cls(f"{day:%Y%m%d}-", dates)  # type: ignore[arg-type]


def _draw(rng: random.Random, text: _DayText, serial: str) -> tuple[str, ...]:
    """A uniformly drawn event, fields independent (``rng._randbelow(n)`` is the primitive
    ``choice`` and ``randint`` are built on, without their overhead)."""
    below = rng._randbelow
    second = 1 + below(86_398)  # rng.randrange(1, 86_399): seconds into the day
    event_type = EVENT_TYPES[below(len(EVENT_TYPES))]
    purchase = event_type == "purchase"
    currency = CURRENCIES[below(len(CURRENCIES))] if purchase else ""
    user_id = _USER_IDS[below(len(_USER_IDS))]  # rng.randint(1, 500)
    session_id = _SESSION_IDS[below(len(_SESSION_IDS))]  # rng.randint(1, 2_000)
    event_ts = _day_timestamp(text.dates, second, _OFFSETS[below(len(_OFFSETS))])
    amount = f"{rng.uniform(1, 300):.2f}" if purchase else ""
    country = _COUNTRY_CHOICES[below(len(_COUNTRY_CHOICES))]
    device = _DEVICE_CHOICES[below(len(_DEVICE_CHOICES))]
    metadata = OTHER_METADATA[below(len(OTHER_METADATA))]
    event_id = text.id_prefix + serial
    return (event_id, user_id, session_id, event_type, event_ts, amount, currency, country, device, metadata)


def _day_timestamp(dates: tuple[str, str, str], second: int, offset: int) -> str:
    """``second`` seconds into ``dates[1]`` (UTC), written in UTC ("Z") or at ``offset`` hours."""
    if offset == 0:
        return f"{dates[1]}T{_clock()[second]}Z"
    days, local = divmod(second + offset * 3600, 86_400)
    return f"{dates[1 + days]}T{_clock()[local]}{offset:+03d}:00"


def _clock() -> tuple[str, ...]:
    global _CLOCK
    if not _CLOCK:
        _CLOCK = tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400))
    return _CLOCK


def _timestamp(moment: datetime, rng: random.Random) -> str:
    """The same instant written in UTC ("Z") or with another offset."""
    offset = rng.choice(_OFFSETS)
    utc = moment.astimezone(UTC)
    midnight = datetime(utc.year, utc.month, utc.day, tzinfo=UTC)
    return _day_timestamp(_DayText.of(utc.date()).dates, int((utc - midnight).total_seconds()), offset)


def _parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
