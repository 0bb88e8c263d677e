"""`pipeline-assets search` over a small published index (no server, no Dagster run)."""

from datetime import date

import numpy as np
import polars as pl
import pytest

from pipeline_assets.cli import main
from pipeline_assets.search.command import SearchError, format_matches, search
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import partition_file

VECTORS = {"running shoes": [1, 0, 0], "jogging sneakers": [0.9, 0.1, 0], "coffee maker": [0, 1, 0], "lamp": [0, 0, 1]}


class TableEmbedder:
    """Looks texts up in VECTORS: a fixed, known geometry for the ranking logic."""

    model, dimension = "table-model", 3

    def embed(self, texts):
        vectors = np.array([VECTORS[t] for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _publish(store: Store, day: str, rows: list[tuple[str, int]], model: str = "table-model") -> None:
    queries = [q for q, _ in rows]
    frame = pl.DataFrame(
        {
            "query": queries,
            "searches": pl.Series([s for _, s in rows], dtype=pl.UInt32),
            "users": pl.Series([s for _, s in rows], dtype=pl.UInt32),
            "model": [model] * len(rows),
            "embedding": pl.Series(TableEmbedder().embed(queries).tolist(), dtype=pl.List(pl.Float32)),
        }
    )
    store.write_parquet(partition_file("search_index", day), frame)


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(str(tmp_path / "warehouse"))
    _publish(store, "2024-01-01", [("running shoes", 3), ("coffee maker", 2), ("lamp", 1)])
    _publish(store, "2024-01-03", [("running shoes", 4), ("jogging sneakers", 1)])
    return store


def test_nearest_queries_with_their_searches_and_days(store):
    result = search(store, "  Running SHOES ", TableEmbedder(), top=2)
    assert result.matches.select("query", "searches", "days", "first_date", "last_date").rows() == [
        ("running shoes", 7, 2, date(2024, 1, 1), date(2024, 1, 3)),
        ("jogging sneakers", 1, 1, date(2024, 1, 3), date(2024, 1, 3)),
    ]
    assert result.matches["similarity"].to_list()[0] == 1.0 and result.indexed_queries == 4
    assert format_matches(result).splitlines()[1].split() == [
        "1.000",
        "7",
        "2",
        "2024-01-01",
        "2024-01-03",
        "running",
        "shoes",
    ]


def test_days_counts_back_from_the_latest_published_day(store):
    result = search(store, "running shoes", TableEmbedder(), days=2, top=10)
    assert (result.first_day, result.last_day) == (date(2024, 1, 2), date(2024, 1, 3))
    assert sorted(result.matches["query"]) == ["jogging sneakers", "running shoes"]


def test_an_index_of_another_model_is_refused(store):
    _publish(store, "2024-01-04", [("lamp", 1)], model="other-model")
    with pytest.raises(
        SearchError, match="other-model, table-model but the configured backend embeds with table-model"
    ):
        search(store, "lamp", TableEmbedder())


@pytest.mark.parametrize(
    ("arguments", "message"), [(["--days", "0"], "--days must be at least 1"), ([], "has no published day")]
)
def test_the_command_names_what_is_wrong(tmp_path, monkeypatch, capsys, arguments, message):
    monkeypatch.setenv("PIPELINE_WAREHOUSE_URL", str(tmp_path / "empty"))
    if arguments:
        _publish(Store(str(tmp_path / "empty")), "2024-01-01", [("lamp", 1)])
    assert main(["search", "lamp", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_backend_setting_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PIPELINE_WAREHOUSE_URL", str(tmp_path))
    monkeypatch.setenv("PIPELINE_EMBEDDINGS_BACKEND", "http")
    monkeypatch.delenv("PIPELINE_EMBEDDINGS_URL", raising=False)
    assert main(["search", "lamp"]) == 2
    assert "the http embedding backend needs PIPELINE_EMBEDDINGS_URL" in capsys.readouterr().err
