"""An independent reading of the data contract in plain Python (csv, json, datetime), no Polars.

The integration tests compare the pipeline's tables with what this computes from the same
landing files: two implementations of one contract, so a bug must be made twice to go unseen.
"""

import csv
import gzip
import io
import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from pipeline_assets.storage import Store

EVENT_TYPES = {"view", "click", "add_to_cart", "purchase", "login", "logout", "search"}


def landing_records(landing: Store, day: str) -> tuple[list[dict], int]:
    """(parsable records with _file/_line, count of all records) for one day."""
    records, total = [], 0
    for file in landing.list_files(f"events/date={day}"):
        data = landing.read_bytes(file.key)
        if file.name.endswith(".gz"):
            data = gzip.decompress(data)
        text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
        rows = _csv_rows(text) if ".csv" in file.name else _json_rows(text)
        for line, row in rows:
            total += 1
            if row is not None:
                records.append({**row, "_file": file.key, "_line": line})
    return records, total


def _csv_rows(text: str):
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines)
    header = next(reader)
    previous = reader.line_num
    for row in reader:
        start, previous = previous + 1, reader.line_num
        if not row:
            continue
        raw = "".join(lines[start - 1 : reader.line_num])
        bad = len(row) != len(header) or any("\udc80" <= ch <= "\udcff" for ch in raw)
        yield start, None if bad else dict(zip(header, row, strict=True))


def _json_rows(text: str):
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            yield number, None
            continue
        if not isinstance(value, dict) or any("\udc80" <= ch <= "\udcff" for ch in line):
            yield number, None
        else:
            yield number, {k: v if isinstance(v, str) or v is None else json.dumps(v) for k, v in value.items()}


def fx_rates(landing: Store, day: str) -> dict[str, float]:
    rates = {"USD": 1.0}
    for file in landing.list_files(f"fx_rates/date={day}"):
        for row in csv.DictReader(io.StringIO(landing.read_bytes(file.key).decode())):
            rates[row["currency"].strip().upper()] = float(row["usd_per_unit"])
    return rates


class _Members(list):
    """A JSON object's members, every one kept (a repeated key's values too)."""


def _is_json_object(text: str) -> bool:
    """Strict JSON (no NaN or Infinity) whose value is an object of Unicode text: no string, in
    any member (a repeated key's included), is a lone surrogate. Numbers of any size."""

    def refuse(name: str) -> None:
        raise ValueError(name)

    try:
        value = json.loads(text, parse_constant=refuse, parse_int=len, parse_float=len, object_pairs_hook=_Members)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, _Members) and _unicode(value)


def _unicode(value: object) -> bool:
    if isinstance(value, str):
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, list | tuple):  # an array, an object's members, or a (key, value) pair
        return all(_unicode(item) for item in value)
    return True


def _text(record: dict, key: str) -> str:
    return (record.get(key) or "").strip()


def valid_event(record: dict, day: str, rates: dict[str, float]) -> dict | None:
    """The typed event, or None if the contract rejects the record."""
    try:
        user_id = int(_text(record, "user_id"))
        ts_text = _text(record, "event_ts")
        if not re.search(r"(Z|[+-]\d{2}:?\d{2})$", ts_text):
            return None
        ts = datetime.fromisoformat(ts_text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None
    event_type = _text(record, "event_type")
    if not _text(record, "event_id") or user_id <= 0 or not _text(record, "session_id"):
        return None
    if event_type not in EVENT_TYPES or ts.date().isoformat() != day:
        return None
    if _text(record, "country") and not re.fullmatch(r"[A-Z]{2}", _text(record, "country")):
        return None
    if _text(record, "device") and _text(record, "device") not in {"web", "ios", "android"}:
        return None
    if _text(record, "metadata") and not _is_json_object(_text(record, "metadata")):
        return None
    amount_usd = None
    if event_type == "purchase":
        try:
            amount = float(_text(record, "amount"))
        except ValueError:
            return None
        currency = _text(record, "currency").upper()
        if amount <= 0 or currency not in rates:
            return None
        amount_usd = amount * rates[currency]
    return {"event_id": _text(record, "event_id"), "user_id": user_id, "session_id": _text(record, "session_id"),
            "event_type": event_type, "ts": ts, "amount_usd": amount_usd,
            "order": (ts, record["_file"].rsplit("/", 1)[-1], record["_line"])}  # fmt: skip


def expected_day(landing: Store, day: str) -> dict:
    records, total = landing_records(landing, day)
    rates = fx_rates(landing, day)
    valid = [e for e in (valid_event(r, day, rates) for r in records) if e is not None]
    winners: dict[str, dict] = {}
    for event in valid:
        if event["event_id"] not in winners or event["order"] > winners[event["event_id"]]["order"]:
            winners[event["event_id"]] = event
    clean = list(winners.values())
    users: dict[int, dict] = defaultdict(
        lambda: {"events": 0, "sessions": set(), "purchases": 0, "revenue": 0.0, "ts": []}
    )
    types: dict[str, dict] = defaultdict(lambda: {"events": 0, "users": set(), "revenue": 0.0})
    for e in clean:
        u, t = users[e["user_id"]], types[e["event_type"]]
        u["events"] += 1
        u["sessions"].add(e["session_id"])
        u["purchases"] += e["event_type"] == "purchase"
        u["revenue"] += e["amount_usd"] or 0.0
        u["ts"].append(e["ts"])
        t["events"] += 1
        t["users"].add(e["user_id"])
        t["revenue"] += e["amount_usd"] or 0.0
    return {
        "records": total,
        "clean": len(clean),
        "duplicates": len(valid) - len(clean),
        "rejected": total - len(valid),
        "user_metrics": {
            uid: (u["events"], len(u["sessions"]), u["purchases"], round(u["revenue"], 6), min(u["ts"]), max(u["ts"]))
            for uid, u in users.items()
        },
        "event_summary": {k: (t["events"], len(t["users"]), round(t["revenue"], 6)) for k, t in types.items()},
        "user_revenue": {uid: u["revenue"] for uid, u in users.items()},
    }


def expected_rolling(days: dict[str, dict], day: str, start: str) -> tuple[float, int]:
    """(revenue_usd_7d, active_users_7d) from the oracle's per-day results."""
    end = date.fromisoformat(day)
    window = [(end - timedelta(days=n)).isoformat() for n in range(7)]
    window = [d for d in window if d >= start]
    revenue = sum(sum(days[d]["user_revenue"].values()) for d in window)
    users = set().union(*(days[d]["user_metrics"].keys() for d in window))
    return revenue, len(users)
