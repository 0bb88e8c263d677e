"""Query normalisation, the day's queries and batching: pure functions, no Dagster."""

from datetime import date

import polars as pl
import pytest

from pipeline_assets.search.text import MAX_QUERY_CHARS, batches, day_queries, normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Running   SHOES ", "running shoes"),
        ("ｒｕｎｎｉｎｇ\tshoes\n", "running shoes"),  # full-width letters, tab and newline
        ("Straße", "strasse"),
        ("usb\u200bc\u00a0charger", "usb c charger"),  # zero-width and no-break spaces
        ("children's board games", "children's board games"),
        ("   ", ""),
        ("x" * 500, "x" * MAX_QUERY_CHARS),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


def _clean(rows):
    """clean_events rows from (user_id, event_type, metadata text)."""
    return pl.LazyFrame(
        {
            "date": [date(2024, 1, 1)] * len(rows),
            "user_id": [r[0] for r in rows],
            "event_type": [r[1] for r in rows],
            "metadata": [r[2] for r in rows],
        }
    )


def test_day_queries_counts_searches_and_distinct_users_per_normalised_text():
    frame = day_queries(
        _clean(
            [
                (1, "search", '{"q": "Running Shoes"}'),
                (2, "search", '{"q": "running  shoes "}'),
                (1, "search", '{"q": "running shoes"}'),
                (3, "search", '{"q": "yoga mat", "page": 2}'),
                (4, "view", '{"q": "not a search"}'),
                (5, "search", None),
                (6, "search", "not json"),
                (7, "search", '{"q": "   "}'),
                (8, "search", '{"other": 1}'),
            ]
        )
    ).collect()
    assert frame.select("query", "searches", "users", "user_ids").rows() == [
        ("running shoes", 3, 2, [1, 2]),
        ("yoga mat", 1, 1, [3]),
    ]


def test_day_without_searches_gives_an_empty_table():
    frame = day_queries(_clean([(1, "view", None)])).collect()
    assert frame.height == 0 and frame.columns == ["date", "query", "searches", "users", "user_ids"]


def test_batches_cover_every_item_once_in_order():
    items = [str(i) for i in range(7)]
    assert [list(b) for b in batches(items, 3)] == [["0", "1", "2"], ["3", "4", "5"], ["6"]]
    assert list(batches([], 3)) == []
    with pytest.raises(ValueError, match="at least 1"):
        list(batches(items, 0))
