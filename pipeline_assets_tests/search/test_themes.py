"""Clustering, labels, top terms and week-on-week change: pure functions, no Dagster."""

import numpy as np
import polars as pl
import pytest

from pipeline_assets.search.nearest import recall_at_k, top_k
from pipeline_assets.search.themes import cluster, purity, themes, top_terms, window_queries


def _unit(rows):
    vectors = np.asarray(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


# Two tight groups far apart (cosine ~0.99 inside, ~0 across), and one loner.
VECTORS = _unit([[1, 0.05, 0], [1, -0.05, 0], [1, 0, 0.05], [0, 1, 0.05], [0, 1, -0.05], [0, 0, 1]])


def test_cluster_groups_near_vectors_and_keeps_far_ones_apart():
    labels = cluster(VECTORS)
    assert len(set(labels[:3])) == 1 and len(set(labels[3:5])) == 1
    assert len({labels[0], labels[3], labels[5]}) == 3


def test_cluster_of_one_or_none():
    assert cluster(VECTORS[:1]).tolist() == [0] and cluster(VECTORS[:0]).tolist() == []


def test_purity():
    assert purity([0, 0, 1, 1], ["a", "a", "b", "b"]) == 1.0
    assert purity([0, 0, 0, 0], ["a", "a", "a", "b"]) == 0.75


def test_top_terms_prefers_words_frequent_here_and_rare_elsewhere():
    terms = top_terms(
        [[("cheap running shoes", 5), ("running sneakers", 3)], [("cheap coffee maker", 4), ("coffee machine", 1)]],
        limit=2,
    )
    assert terms == [["running", "shoes"], ["coffee", "maker"]]  # "cheap" is a stop word


def _window(queries, searches, users, vectors):
    frame = pl.DataFrame(
        {"query": queries, "searches": searches, "user_ids": users},
        schema_overrides={"searches": pl.UInt32, "user_ids": pl.List(pl.Int64)},
    )
    embeddings = pl.DataFrame({"query": queries, "embedding": pl.Series(vectors.tolist(), dtype=pl.List(pl.Float32))})
    return window_queries(frame, embeddings)


QUERIES = ["running shoes", "runing shoes", "jogging sneakers", "coffee maker", "espresso machine", "lamp"]


def test_themes_are_labelled_sized_and_compared_with_the_week_before():
    current = _window(QUERIES, [10, 2, 3, 4, 1, 1], [[1, 2], [2], [3], [4], [4], [9]], VECTORS)
    previous = _window(["running shoes", "coffee maker"], [5, 8], [[1], [4]], VECTORS[[0, 3]])
    table = themes(current, previous)
    assert table.select("theme", "label", "representative_queries", "queries", "searches", "users").rows() == [
        (1, "running shoes", ["running shoes", "jogging sneakers", "runing shoes"], 3, 15, 3),
        (2, "coffee maker", ["coffee maker", "espresso machine"], 2, 5, 1),
        (3, "lamp", ["lamp"], 1, 1, 1),
    ]
    assert table.select("searches_previous", "change", "change_pct").rows() == [
        (5, 10, 2.0),
        (8, -3, -0.375),
        (0, 1, None),
    ]


def test_a_week_without_searches_has_no_themes():
    empty = _window([], [], [], np.empty((0, 3), dtype=np.float32))
    assert themes(empty, empty).height == 0


def test_a_query_without_an_embedding_is_refused_by_name():
    frame = pl.DataFrame({"query": ["a"], "searches": [1], "user_ids": [[1]]})
    with pytest.raises(ValueError, match="no embedding, e.g. 'a'"):
        window_queries(frame, pl.DataFrame(schema={"query": pl.String, "embedding": pl.List(pl.Float32)}))


def test_top_k_is_exact_and_ordered():
    best, similarity = top_k(VECTORS[[0]], VECTORS, 3)
    assert best[0].tolist()[0] == 0 and set(best[0].tolist()) == {0, 1, 2}
    assert list(similarity[0]) == sorted(similarity[0], reverse=True)


def test_recall_at_k_counts_relevant_items_up_to_what_k_can_hold():
    assert recall_at_k([["a", "b", "x"]], [{"a", "b"}], 3) == 1.0
    assert recall_at_k([["a", "x", "y"]], [{"a", "b", "c", "d"}], 3) == pytest.approx(1 / 3)
