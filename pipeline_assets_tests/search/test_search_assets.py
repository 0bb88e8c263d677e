"""The search assets materialised for real: from published clean_events on every store, with
the embedding cache against the fake endpoint, and from landing files to `pipeline-assets search`."""

from datetime import UTC, date, datetime

import dagster as dg
import polars as pl
import pytest

from pipeline_assets.cli import main
from pipeline_assets.io_manager import ParquetWarehouseIOManager
from pipeline_assets.partitions import daily_partitions
from pipeline_assets.resources import Warehouse
from pipeline_assets.search.assets import embed_search_queries, search_queries, search_themes
from pipeline_assets.search.command import search
from pipeline_assets.search.embedders import LocalOnnxEmbedder
from pipeline_assets.search.resource import SearchEmbeddings
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import partition_file, scan_partitions
from pipeline_assets_tests.conftest import STORES, failure_messages, store_root
from pipeline_assets_tests.search.fake_endpoint import FakeEmbeddingServer
from pipeline_assets_tests.search.landing import labelled_searches, land_searches, topic_texts

SEARCH_ASSETS = ["search_queries", "search_query_embeddings", "search_index", "search_themes"]
DAY1, DAY2 = "2024-01-01", "2024-01-02"


def _publish_clean_events(store: Store, day: str, searches: list[tuple[str, int]]) -> None:
    """A day of clean_events as the events asset publishes it (partition column in the prefix)."""
    n = len(searches)
    frame = pl.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(n + 1)],
            "user_id": [user for _, user in searches] + [1],
            "event_type": ["search"] * n + ["view"],
            "event_ts": [datetime.fromisoformat(day).replace(tzinfo=UTC)] * (n + 1),
            "metadata": [f'{{"q": "{text}"}}' for text, _ in searches] + [None],
        }
    )
    store.write_parquet(partition_file("clean_events", day), frame)


def _materialise(warehouse_url: str, day: str, embedder: SearchEmbeddings, instance=None):
    resources = {
        "io_manager": ParquetWarehouseIOManager(warehouse_url=warehouse_url),
        "warehouse": Warehouse(warehouse_url=warehouse_url),
        "search_embedder": embedder,
    }
    assets = [search_queries, embed_search_queries, search_themes]
    clean = dg.AssetSpec("clean_events", partitions_def=daily_partitions)
    return dg.materialize(
        [*assets, clean], partition_key=day, resources=resources, raise_on_error=False, selection=assets,
        instance=instance,
    )  # fmt: skip


def _table(store: Store, asset: str, day: str) -> pl.DataFrame:
    return scan_partitions(store, asset, [day])[day].collect()


@pytest.mark.integration
@pytest.mark.parametrize("kind", STORES)
def test_search_assets_publish_checked_days_and_find_a_paraphrase(request, tmp_path, kind):
    with store_root(request, kind, tmp_path) as root:
        url = f"{root}/warehouse"
        store = Store(url)
        labelled = labelled_searches(date(2024, 1, 1), per_topic=6)
        searches = [(text, user) for _, text, user in labelled] + [("  Lego   Castle SET ", 5), ("lego castle set", 6)]
        _publish_clean_events(store, DAY1, searches)
        for _ in range(2):  # the second run replaces the day as a whole
            result = _materialise(url, DAY1, SearchEmbeddings())
            assert result.success, failure_messages(result)
        checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
        assert checks == {
            ("search_queries", "schema"): True,
            ("search_query_embeddings", "schema"): True,
            ("search_query_embeddings", "every_query_embedded_once"): True,
            ("search_index", "schema"): True,
            ("search_themes", "schema"): True,
        }
        queries = _table(store, "search_queries", DAY1)
        assert queries.filter(pl.col("query") == "lego castle set").select("searches", "users").row(0) == (2, 2)
        index = _table(store, "search_index", DAY1)
        assert sorted(index["query"]) == sorted(queries["query"]) and index[
            "embedding"
        ].list.len().unique().to_list() == [384]
        for asset in SEARCH_ASSETS:  # one file per day, nothing left in staging
            assert [f.name for f in store.list_files(f"{asset}/date={DAY1}")] == ["data.parquet"]
        assert store.list_files("_staging", suffixes=(".parquet",)) == []
        themes = _table(store, "search_themes", DAY1)
        assert themes["theme"].to_list() == list(range(1, themes.height + 1)) and themes.height >= 8
        found = search(store, "footwear for jogging", LocalOnnxEmbedder(), top=3).matches["query"].to_list()
        assert set(found) <= topic_texts(labelled, "running shoes"), found


def _http(server: FakeEmbeddingServer, dimension: int = 8) -> SearchEmbeddings:
    return SearchEmbeddings(backend="http", endpoint_url=server.url, model="fake-model", dimension=dimension)


@pytest.mark.integration
def test_only_texts_never_embedded_before_are_sent_to_the_endpoint(tmp_path):
    url = str(tmp_path / "warehouse")
    store = Store(url)
    _publish_clean_events(store, DAY1, [("running shoes", 1), ("yoga mat", 2), ("running shoes", 3)])
    _publish_clean_events(store, DAY2, [("Yoga  Mat", 4), ("coffee maker", 5)])
    with FakeEmbeddingServer() as server, dg.instance_for_test() as instance:
        server.faults.extend(["429", "503"])  # retried inside the run; Retry-After is 3 s
        assert _materialise(url, DAY1, _http(server), instance).success
        assert sorted(server.texts_sent) == ["running shoes", "yoga mat"]
        assert _materialise(url, DAY2, _http(server), instance).success
        assert sorted(server.texts_sent) == ["coffee maker", "running shoes", "yoga mat"]  # only the new text
        assert _materialise(url, DAY2, _http(server), instance).success  # a re-run pays nothing
        assert len(server.texts_sent) == 3
    index = _table(store, "search_index", DAY2)
    assert index.select("query", "searches", "model").sort("query").rows() == [
        ("coffee maker", 1, "fake-model"),
        ("yoga mat", 1, "fake-model"),
    ]
    themes = _table(store, "search_themes", DAY2)  # the window holds both days
    assert themes["searches"].sum() == 5 and themes["window_start"].unique().to_list() == [date(2024, 1, 1)]


@pytest.mark.integration
def test_a_model_reconfigured_to_another_dimension_embeds_its_texts_again(tmp_path):
    url = str(tmp_path / "warehouse")
    store = Store(url)
    _publish_clean_events(store, DAY1, [("running shoes", 1)])
    _publish_clean_events(store, DAY2, [("running shoes", 1), ("yoga mat", 2)])
    with FakeEmbeddingServer(dimension=8) as server:
        assert _materialise(url, DAY1, _http(server, 8)).success
    with FakeEmbeddingServer(dimension=6) as server:
        result = _materialise(url, DAY2, _http(server, 6))
        assert sorted(server.texts_sent) == ["running shoes", "yoga mat"]  # the 8-dimension vector is not reused
    assert _table(store, "search_index", DAY2)["embedding"].list.len().unique().to_list() == [6]
    # The week's themes cannot compare the two: the run says which days to embed again.
    assert not result.success
    assert "fake-model (6 dimensions) on 2024-01-02; fake-model (8 dimensions) on 2024-01-01" in failure_messages(
        result
    )


@pytest.mark.integration
def test_a_degenerate_vector_blocks_publishing_the_day(tmp_path):
    url = str(tmp_path / "warehouse")
    store = Store(url)
    _publish_clean_events(store, DAY1, [("running shoes", 1), ("yoga mat", 2)])
    with FakeEmbeddingServer() as server:
        server.faults.append("zeros")  # a well-formed response holding an all-zero vector
        result = _materialise(url, DAY1, _http(server))
    assert not result.success
    failed = {
        (e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations() if not e.passed
    }
    assert failed == {
        ("search_query_embeddings", "every_query_embedded_once"),
        ("search_query_embeddings", "schema"),
        ("search_index", "schema"),
    }
    assert "Blocking checks failed, so nothing was published" in failure_messages(result)
    for asset in ("search_query_embeddings", "search_index"):
        assert not store.exists(partition_file(asset, DAY1))


@pytest.mark.integration
def test_from_landing_files_to_the_search_command(tmp_path, monkeypatch, capsys):
    """As a new user: sample landing data with search events, one range run of the daily job,
    then `pipeline-assets search` for a phrase no one typed gets its topic's queries back."""
    from pipeline_assets_tests.conftest import make_pipeline

    with make_pipeline(str(tmp_path)) as pipeline:
        pipeline.generate(DAY1, 2, rows_per_day=150)
        labelled = []
        for day in (date(2024, 1, 1), date(2024, 1, 2)):
            rows = labelled_searches(day, per_topic=8)
            labelled += rows
            land_searches(pipeline.landing, day, [(text, user) for _, text, user in rows])
        result = pipeline.run(DAY1, DAY2)
        assert result.success, failure_messages(result)
        monkeypatch.setenv("PIPELINE_WAREHOUSE_URL", pipeline.settings.warehouse_url)
        monkeypatch.delenv("PIPELINE_EMBEDDINGS_BACKEND", raising=False)
        assert main(["search", "a present for my little nephew", "--days", "2", "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    found = [line.split("  ")[-1].strip() for line in lines[1:]]
    assert len(found) == 3 and set(found) <= topic_texts(labelled, "kids toys"), lines
    assert all("2024-01-0" in line for line in lines[1:])
