"""Invariants of the pure transformations, for arbitrary landing records (Hypothesis).

- Reconciliation: the records counted in the landing bytes (by `landing_count`, not the parser)
  equal clean rows + rejected rows + duplicates removed, whatever the records hold.
- The aggregates equal a plain-Python computation from the clean events.
- A day computed again, any number of times, gives the same bytes.
"""

import csv
import io
import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline_assets.transforms.aggregates import daily_event_summary, daily_user_metrics, rolling_revenue_7d
from pipeline_assets.transforms.clean import EVENT_COLUMNS, EVENT_TYPES
from pipeline_assets.transforms.ingest import parse_content
from pipeline_assets.transforms.landing_count import count_records
from pipeline_assets_tests.raw_day import cleaned

DAY = date(2024, 3, 1)
FX = pl.DataFrame({"currency": ["EUR", "GBP"], "usd_per_unit": [1.25, 1.5]})
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _timestamp(seconds: int, offset_hours: int) -> str:
    """An instant around the day (some on the days beside it), spelled with Z or an offset."""
    instant = datetime(2024, 3, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    if offset_hours == 0:
        return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    return instant.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()


# Each field is a legal value most of the time and anything at all otherwise, so that every rule
# of the contract is both kept and broken across examples.
def _field(legal: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(legal, legal, legal, st.text(max_size=6))


records = st.fixed_dictionaries(
    {
        "event_id": _field(st.sampled_from([f"e{n}" for n in range(12)])),  # few ids: duplicates
        "user_id": _field(st.integers(1, 40).map(str)),
        "session_id": _field(st.sampled_from(["s1", "s2", "s3", "s4"])),
        "event_type": _field(st.sampled_from(EVENT_TYPES)),
        "event_ts": _field(st.builds(_timestamp, st.integers(-7200, 90000), st.sampled_from([0, 0, 2, -5]))),
        "amount": _field(st.decimals("0.01", "999.99", places=2).map(str)),
        "currency": _field(st.sampled_from(["USD", "EUR", "GBP", "CHF"])),
        "country": _field(st.sampled_from(["", "DE", "US", "FR"])),
        "device": _field(st.sampled_from(["", "web", "ios", "android"])),
        "metadata": _field(st.sampled_from(["", '{"q": "shoes"}', "{}"])),
    }
)
broken_lines = st.lists(
    st.sampled_from([b"just,two", b"\xff\xfe not utf-8", b'"unclosed,quote']), max_size=3, unique=True
)


def landing_csv(rows: list[dict], broken: list[bytes]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EVENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    # An unclosed quote runs to the end of the file (RFC 4180), so it comes last: one record.
    broken = sorted(broken, key=lambda line: line.startswith(b'"'))
    return buffer.getvalue().encode() + b"".join(line + b"\n" for line in broken)


def one_day(content: bytes, name: str = "events/date=2024-03-01/a.csv"):
    parsed = parse_content(name, content)
    return cleaned([parsed.records], parsed.unparsable, FX, DAY)


@FAST
@given(rows=st.lists(records, max_size=40), broken=broken_lines)
def test_landing_records_equal_clean_plus_rejected_plus_duplicates(rows, broken):
    content = landing_csv(rows, broken)
    day = one_day(content)
    landed = count_records("a.csv", content)
    assert landed == len(rows) + len(broken)
    assert landed == day.clean.height + day.rejected.height + day.duplicates_removed


@FAST
@given(rows=st.lists(records, max_size=40))
def test_aggregates_equal_a_plain_python_computation(rows):
    clean = one_day(landing_csv(rows, [])).clean
    events = clean.to_dicts()

    per_user: dict[int, list[dict]] = defaultdict(list)
    per_type: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        per_user[event["user_id"]].append(event)
        per_type[event["event_type"]].append(event)

    def revenue(group: list[dict]) -> float:
        return math.fsum(e["amount_usd"] for e in group if e["amount_usd"] is not None)

    users = daily_user_metrics(clean.lazy()).collect()
    assert users["user_id"].to_list() == sorted(per_user)
    for row in users.iter_rows(named=True):
        group = per_user[row["user_id"]]
        assert row["events"] == len(group)
        assert row["sessions"] == len({e["session_id"] for e in group})
        assert row["purchases"] == sum(e["event_type"] == "purchase" for e in group)
        assert math.isclose(row["revenue_usd"], revenue(group), rel_tol=1e-12, abs_tol=1e-8)
        assert row["first_event_ts"] == min(e["event_ts"] for e in group)
        assert row["last_event_ts"] == max(e["event_ts"] for e in group)

    summary = daily_event_summary(clean.lazy()).collect()
    assert summary["event_type"].to_list() == sorted(per_type)
    for row in summary.iter_rows(named=True):
        group = per_type[row["event_type"]]
        assert (row["events"], row["users"]) == (len(group), len({e["user_id"] for e in group}))
        assert math.isclose(row["revenue_usd"], revenue(group), rel_tol=1e-12, abs_tol=1e-8)

    rolling = rolling_revenue_7d(users.lazy(), DAY, 1).collect().row(0, named=True)
    assert math.isclose(rolling["revenue_usd_7d"], revenue(events), rel_tol=1e-12, abs_tol=1e-8)
    assert rolling["active_users_7d"] == len(per_user)


@FAST
@given(rows=st.lists(records, max_size=40), broken=broken_lines, runs=st.integers(2, 4))
def test_a_day_computed_again_gives_the_same_bytes(rows, broken, runs):
    content = landing_csv(rows, broken)

    def digest() -> tuple[str, ...]:
        day = one_day(content)
        users = daily_user_metrics(day.clean.lazy()).collect()
        tables = [day.clean, day.rejected, users, daily_event_summary(day.clean.lazy()).collect()]
        tables.append(rolling_revenue_7d(users.lazy(), DAY, 1).collect())
        return tuple(table.write_csv() for table in tables)

    first = digest()
    assert all(digest() == first for _ in range(runs - 1))
