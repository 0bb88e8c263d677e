"""The generator's valid events look like a product's: sessions, a funnel, a day's rhythm, currencies, searches.

Read back through the pipeline's own parsing and cleaning, so what is asserted is what lands.
"""

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipeline_assets.generator import generate
from pipeline_assets.sample_sessions import USUAL_CURRENCY
from pipeline_assets.sample_topics import SEARCH_TOPICS
from pipeline_assets.transforms.clean import type_fx_rates
from pipeline_assets.transforms.ingest import parse_landing_file
from pipeline_assets_tests.raw_day import cleaned

START, DAYS, ROWS = date(2024, 3, 1), 2, 6_000
FUNNEL = ("view", "click", "add_to_cart", "purchase")
PHRASES = {phrase for phrasings in SEARCH_TOPICS.values() for phrase in phrasings}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> pl.DataFrame:
    root = tmp_path_factory.mktemp("sessions")
    manifest = generate(START, DAYS, ROWS, str(root), seed=3)
    days = []
    for day in manifest["by_day"]:
        parsed = [parse_landing_file(k, (root / k).read_bytes()) for k in day["files"] if k.startswith("events/")]
        fx_key = next(k for k in day["files"] if k.startswith("fx_rates/"))
        rates, _ = type_fx_rates(parse_landing_file(fx_key, Path(root / fx_key).read_bytes()).records)
        unparsable = pl.concat([p.unparsable for p in parsed])
        days.append(cleaned([p.records for p in parsed], unparsable, rates, date.fromisoformat(day["date"])).clean)
    return pl.concat(days)


def test_sessions_hold_several_events_of_one_user(clean):
    per_session = clean.group_by("session_id").agg(pl.len().alias("events"), pl.col("user_id").n_unique())
    assert 5 <= per_session["events"].mean() <= 15
    assert per_session["user_id"].max() == 1
    assert clean["user_id"].n_unique() < per_session.height  # users come back for more sessions


def test_funnel_drops_off_step_by_step(clean):
    events = dict(clean.group_by("event_type").len().iter_rows())
    counts = [events[step] for step in FUNNEL]
    assert counts == sorted(counts, reverse=True) and len(set(counts)) == len(counts)
    sessions = [clean.filter(pl.col("event_type") == step)["session_id"].n_unique() for step in FUNNEL]
    assert sessions == sorted(sessions, reverse=True)
    assert 0.02 <= sessions[-1] / clean["session_id"].n_unique() <= 0.4  # some sessions buy, most do not


def test_activity_follows_the_hour_of_day(clean):
    by_hour = clean.group_by(pl.col("event_ts").dt.hour()).len()["len"]
    assert by_hour.len() == 24 and by_hour.max() > 4 * by_hour.min()


def test_each_user_keeps_a_country_and_pays_in_its_usual_currency(clean):
    countries = clean.group_by("user_id").agg(pl.col("country").n_unique())["country"]
    assert countries.max() == 1  # the same every day
    purchases = clean.filter(pl.col("event_type") == "purchase")
    expected = purchases["country"].fill_null("").replace_strict(USUAL_CURRENCY)
    assert purchases.height > 0 and (purchases["currency"] == expected).all()
    assert {"JPY", "EUR", "GBP", "USD"} <= set(purchases["currency"])


def test_search_events_carry_a_topic_query_or_a_typo_of_one(clean):
    queries = [json.loads(m)["q"] for m in clean.filter(pl.col("event_type") == "search")["metadata"]]
    assert len(queries) > 100
    exact = [q for q in queries if q in PHRASES]
    assert 0.5 < len(exact) / len(queries) < 1  # mostly as written, some with a typo
    assert all(q in PHRASES or any(_one_typo_apart(q, p) for p in PHRASES) for q in queries)
    others = clean.filter(pl.col("event_type") != "search")["metadata"]
    assert not any('"q"' in m for m in others)


def _one_typo_apart(a: str, b: str) -> bool:
    """Optimal string alignment distance 1: one letter dropped, added, changed, or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    a, b = a[start:], b[start:]
    return a[1:] == b[1:] or a[1:] == b or a == b[1:] or (len(a) > 1 and a[1] + a[0] + a[2:] == b)
