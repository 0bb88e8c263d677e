"""Sample landing data per the data contract, with every defect kind it names, and a manifest.

Each day gets three event files (CSV with BOM and CRLF, gzip CSV with other column order and a
drifted extra column, JSON Lines) and one fx-rates file. Valid events carry quoted commas,
quotes and line breaks in ``metadata``; a fixed number of records per defect kind is injected,
and ``manifest.json`` records what went where, with the counts the pipeline must reproduce.
"""

import csv
import gzip
import io
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

from pipeline_assets.storage import Store
from pipeline_assets.transforms.clean import DEVICES, EVENT_COLUMNS, EVENT_TYPES

FX_RATES = {"EUR": "1.08", "GBP": "1.27", "JPY": "0.0067"}
CURRENCIES = ["USD", *FX_RATES]
COUNTRIES = ["US", "DE", "GB", "JP", "FR", "BR"]
EXTRA_COLUMN = "campaign"

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


@dataclass
class DayManifest:
    date: str
    files: list[str] = field(default_factory=list)
    landing_records: int = 0
    expected_clean: int = 0
    expected_rejected: int = 0
    expected_duplicates: int = 0
    defects: dict[str, int] = field(default_factory=dict)


def generate(start: date, days: int, rows_per_day: int, out: str, seed: int = 7, defects_per_kind: int = 2) -> dict:
    """Write ``days`` days of landing data from ``start`` under ``out`` (a path or URL)."""
    store = Store(out)
    manifest = {"start": start.isoformat(), "days": days, "rows_per_day": rows_per_day, "seed": seed, "by_day": []}
    for offset in range(days):
        day = start + timedelta(days=offset)
        rng = random.Random(f"{seed}:{day.isoformat()}")
        manifest["by_day"].append(_write_day(store, day, rows_per_day, rng, defects_per_kind).__dict__)
    store.write_bytes("manifest.json", json.dumps(manifest, indent=2).encode())
    return manifest


def _write_day(store: Store, day: date, rows_per_day: int, rng: random.Random, per_kind: int) -> DayManifest:
    manifest = DayManifest(date=day.isoformat())
    injected = per_kind * (len(FIELD_DEFECTS) + len(FORMAT_DEFECTS) + 1)  # +1: duplicates
    if rows_per_day < injected + 1:
        raise ValueError(f"rows_per_day must be at least {injected + 1} to hold every defect kind")
    valid = [_event(rng, day, i) for i in range(rows_per_day - injected)]
    invalid = []
    for kind, change in FIELD_DEFECTS.items():
        for n in range(per_kind):
            record = _event(rng, day, f"{kind}-{n}")
            record.update({k: v.format(day=day, previous_day=day - timedelta(days=1)) for k, v in change.items()})
            invalid.append(record)
    duplicates = []
    for original in rng.sample(valid, per_kind):
        resent = dict(original)  # a re-sent event: same id, a later timestamp within the day
        resent["event_ts"] = _timestamp(_parse_ts(original["event_ts"]) + timedelta(seconds=1), rng)
        duplicates.append(resent)
    manifest.defects = {kind: per_kind for kind in FIELD_DEFECTS} | {"duplicate": per_kind}
    records = valid + invalid + duplicates
    rng.shuffle(records)
    thirds = len(records) // 3
    parts = [records[:thirds], records[thirds : 2 * thirds], records[2 * thirds :]]
    prefix = f"events/date={day.isoformat()}"
    broken_csv = [
        ("wrong_field_count", b'"x1","2","3"\r\n'),
        ("not_utf8", b"bad-\xff\xfe-id" + b",x" * (len(EVENT_COLUMNS) - 1) + b"\r\n"),
    ]
    files = {
        f"{prefix}/part-000.csv": _csv_bytes(parts[0], _shuffled_columns(rng), bom=True, crlf=True, per_kind=per_kind, broken=broken_csv),
        f"{prefix}/part-001.csv.gz": gzip.compress(_csv_bytes(parts[1], [*EVENT_COLUMNS[::-1], EXTRA_COLUMN], rng=rng), mtime=0),
        f"{prefix}/part-002.jsonl": _jsonl_bytes(parts[2], per_kind),
    }  # fmt: skip
    for kind in FORMAT_DEFECTS:
        manifest.defects[kind] = per_kind
    for key, content in files.items():
        store.write_bytes(key, content)
    rates = "currency,usd_per_unit\n" + "".join(f"{c},{r}\n" for c, r in FX_RATES.items())
    fx_key = f"fx_rates/date={day.isoformat()}/rates.csv"
    store.write_bytes(fx_key, rates.encode())
    manifest.files = [*files, fx_key]
    manifest.landing_records = len(records) + per_kind * len(FORMAT_DEFECTS)
    manifest.expected_clean = len(valid)
    manifest.expected_duplicates = len(duplicates)
    manifest.expected_rejected = len(invalid) + per_kind * len(FORMAT_DEFECTS)
    return manifest


def _event(rng: random.Random, day: date, serial: object) -> dict[str, str]:
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=rng.randrange(1, 86_399))
    event_type = rng.choice(EVENT_TYPES)
    purchase = event_type == "purchase"
    currency = rng.choice(CURRENCIES) if purchase else ""
    return {
        "event_id": f"{day:%Y%m%d}-{serial}",
        "user_id": str(rng.randint(1, 500)),
        "session_id": f"s{rng.randint(1, 2_000)}",
        "event_type": event_type,
        "event_ts": _timestamp(moment, rng),
        "amount": f"{rng.uniform(1, 300):.2f}" if purchase else "",
        "currency": currency,
        "country": rng.choice(COUNTRIES + [""]),
        "device": rng.choice([*DEVICES, ""]),
        # Free text with the CSV-hostile characters RFC 4180 quoting exists for.
        "metadata": json.dumps({"ref": rng.choice(["ad, banner", 'say "hi"', "line\nbreak", "plain"])}),
    }


def _timestamp(moment: datetime, rng: random.Random) -> str:
    """The same instant written in UTC ("Z") or with another offset."""
    offset = rng.choice([0, 0, 2, -5, 9])
    if offset == 0:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(timezone(timedelta(hours=offset))).isoformat()


def _parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _shuffled_columns(rng: random.Random) -> list[str]:
    columns = list(EVENT_COLUMNS)
    rng.shuffle(columns)
    return columns


def _csv_bytes(
    records: list[dict[str, str]],
    columns: list[str],
    *,
    bom: bool = False,
    crlf: bool = False,
    rng: random.Random | None = None,
    per_kind: int = 0,
    broken: list[tuple[str, bytes]] = (),
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(columns)
    for record in records:
        if EXTRA_COLUMN in columns and rng is not None:
            record = {**record, EXTRA_COLUMN: rng.choice(["spring", "", "retarget"])}
        writer.writerow([record.get(c, "") for c in columns])
    content = buffer.getvalue().encode()
    for _, line in broken:
        content += line * per_kind
    return (b"\xef\xbb\xbf" if bom else b"") + content


def _json_value(key: str, value: str) -> object:
    """Numbers as JSON numbers where they are numbers, as a JSON producer would write them."""
    if key in ("user_id", "amount"):
        try:
            return int(value) if key == "user_id" else float(value)
        except ValueError:
            return value
    return value


def _jsonl_bytes(records: list[dict[str, str]], per_kind: int) -> bytes:
    lines = [json.dumps({k: _json_value(k, v) for k, v in r.items() if v != ""}) for r in records]
    lines += ['{"event_id": "broken", "user_id": '] * per_kind
    lines += ['["not", "an", "object"]'] * per_kind
    return ("\n".join(lines) + "\n").encode()
