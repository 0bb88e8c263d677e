"""Landing files of search events, written as the contract says (CSV with a header, metadata a
JSON object as text), so the search assets are tested without depending on the generator."""

import csv
import io
import json
import random
from collections.abc import Iterable
from datetime import date

from pipeline_assets.sample_topics import SEARCH_TOPICS, misspell
from pipeline_assets.search.text import normalise
from pipeline_assets.storage import Store

COLUMNS = ("event_id", "user_id", "session_id", "event_type", "event_ts", "amount", "currency", "country", "device")


def search_events_csv(day: date, texts: Iterable[tuple[str, int]], prefix: str = "s") -> bytes:
    """A CSV of one search event per (text, user_id), timestamps spread over ``day``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*COLUMNS, "metadata"])
    for n, (text, user) in enumerate(texts):
        ts = f"{day.isoformat()}T{n % 24:02d}:{n % 60:02d}:00Z"
        writer.writerow(
            [f"{prefix}-{day}-{n}", user, f"sess-{user}", "search", ts, "", "", "DE", "web", json.dumps({"q": text})]
        )
    return out.getvalue().encode()


def labelled_searches(day: date, per_topic: int = 12, seed: int = 0) -> list[tuple[str, str, int]]:
    """(topic, text, user) for every topic: its phrasings in turn, one in four misspelled."""
    rng = random.Random(f"{seed}-{day}")
    rows = []
    for topic, phrasings in SEARCH_TOPICS.items():
        for n in range(per_topic):
            text = phrasings[n % len(phrasings)]
            rows.append((topic, misspell(text, rng) if n % 4 == 3 else text, rng.randint(1, 40)))
    return rows


def topic_searches(day: date, per_topic: int = 12, seed: int = 0) -> list[tuple[str, int]]:
    """(text, user) of `labelled_searches`."""
    return [(text, user) for _, text, user in labelled_searches(day, per_topic, seed)]


def topic_texts(rows: Iterable[tuple[str, str, int]], topic: str) -> set[str]:
    """The normalised texts of ``topic`` among `labelled_searches` rows."""
    return {normalise(text) for t, text, _ in rows if t == topic}


def land_searches(landing: Store, day: date, texts: Iterable[tuple[str, int]], name: str = "searches.csv") -> None:
    landing.write_bytes(f"events/date={day.isoformat()}/{name}", search_events_csv(day, texts, prefix=name))
