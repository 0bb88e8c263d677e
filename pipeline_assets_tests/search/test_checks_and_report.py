"""The embeddings' completeness check and the report's search section: pure functions."""

from datetime import date

import numpy as np
import polars as pl

from pipeline_assets.search.checks import embedded_once_evaluation, embedded_once_problems
from pipeline_assets.search.report_section import TITLE, themes_section_html, themes_section_markdown

DIM = 4


def _queries(texts):
    return pl.DataFrame({"query": texts})


def _embeddings(texts, vectors=None, models=None):
    vectors = np.eye(DIM, dtype=np.float32)[: len(texts)] if vectors is None else vectors
    return pl.DataFrame(
        {
            "query": texts,
            "model": models or ["m"] * len(texts),
            "embedding": pl.Series(np.asarray(vectors).tolist(), dtype=pl.List(pl.Float32)),
        }
    )


def test_every_query_embedded_once_passes():
    assert embedded_once_problems(_queries(["a", "b"]), _embeddings(["a", "b"]), DIM) == []


def test_missing_repeated_and_foreign_embeddings_are_named():
    problems = embedded_once_problems(_queries(["a", "b", "c"]), _embeddings(["a", "a", "z"]), DIM)
    assert problems == [
        "1 queries embedded more than once, e.g. ['a']",
        "2 queries not embedded, e.g. ['b', 'c']",
        "1 embeddings of no query of the day, e.g. ['z']",
    ]


def test_wrong_dimension_nan_norm_and_mixed_models_fail():
    assert embedded_once_problems(_queries(["a"]), _embeddings(["a"], [[1.0, 0.0]]), DIM) == [
        "embeddings of [2] dimensions, expected 4"
    ]
    bad = [[np.nan, 0, 0, 0], [0.5, 0.5, 0, 0]]
    assert embedded_once_problems(_queries(["a", "b"]), _embeddings(["a", "b"], bad), DIM) == [
        "1 vectors hold NaN or infinity",
        "1 vectors are not of unit length",
    ]
    assert (
        "several models"
        in embedded_once_problems(_queries(["a", "b"]), _embeddings(["a", "b"], models=["m", "n"]), DIM)[0]
    )
    evaluation = embedded_once_evaluation(
        "search_query_embeddings", "2024-01-01", _queries(["a"]), _embeddings([]), DIM
    )
    assert not evaluation.passed and evaluation.partition == "2024-01-01" and evaluation.blocking


THEMES = pl.DataFrame(
    {
        "date": [date(2024, 1, 7)] * 2,
        "window_start": [date(2024, 1, 1)] * 2,
        "theme": [2, 1],
        "label": ["coffee maker", "running <shoes>"],
        "representative_queries": [["coffee maker"], ["running <shoes>", "jogging sneakers"]],
        "top_terms": [["coffee"], ["running", "shoes"]],
        "queries": [1, 2],
        "searches": [4, 1200],
        "users": [3, 800],
        "searches_previous": [0, 1000],
        "change": [4, 200],
        "change_pct": [None, 0.2],
    }
)


def test_html_section_lists_top_themes_in_order_escaped():
    fragment = themes_section_html(THEMES)
    assert fragment.startswith("<p>Top themes") and fragment.endswith("</table>")
    assert "running &lt;shoes&gt;" in fragment and "<shoes>" not in fragment
    assert fragment.index("running &lt;shoes&gt;") < fragment.index("coffee maker")
    assert "1,200" in fragment and "+20%" in fragment and ">new<" in fragment
    assert "2024-01-01 to 2024-01-07" in fragment


def test_limit_and_empty_week():
    assert "coffee maker" not in themes_section_html(THEMES, limit=1)
    assert "No searches" in themes_section_html(THEMES.clear())
    markdown = themes_section_markdown(THEMES)
    assert markdown.splitlines()[0] == f"## {TITLE}" and "| running <shoes> |" in markdown
