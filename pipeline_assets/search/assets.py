"""Search assets: the day's queries, their embeddings and the vector index, the week's themes.

Every table goes through the project's write-audit-publish path (`assets.common`), day by day,
with the same schema checks as every other table, plus a blocking check that each query of the
day was embedded exactly once.
"""

from datetime import date, timedelta

import dagster as dg
import numpy as np
import polars as pl

from pipeline_assets.assets.aggregated import window_days
from pipeline_assets.assets.common import WriteAuditPublish, daily_multi_asset, table_out
from pipeline_assets.checks import schema_check_spec
from pipeline_assets.metadata import column_lineage
from pipeline_assets.resources import Warehouse
from pipeline_assets.search import checks, themes
from pipeline_assets.search.cache import EmbeddingCache
from pipeline_assets.search.resource import SearchEmbeddings
from pipeline_assets.search.schemas import (
    SearchQueries,
    SearchThemes,
    search_index_model,
    search_query_embeddings_model,
)
from pipeline_assets.search.text import day_queries
from pipeline_assets.storage import Store
from pipeline_assets.transforms.aggregates import ROLLING_WINDOW_DAYS
from pipeline_assets.warehouse import asset_scan, published_days, scan_partitions

CLEAN = "clean_events"
QUERIES, EMBEDDINGS, INDEX, THEMES = "search_queries", "search_query_embeddings", "search_index", "search_themes"
GROUP = "search"


@daily_multi_asset(
    outs={
        QUERIES: table_out(
            GROUP,
            "One row per (date, normalised query text) of the day's search events: searches, distinct users.",
            model=SearchQueries,
            lineage=column_lineage(
                {
                    "date": {CLEAN: ["date"]},
                    "query": {CLEAN: ["metadata"]},
                    "searches": {CLEAN: ["event_id"]},
                    "users": {CLEAN: ["user_id"]},
                    "user_ids": {CLEAN: ["user_id"]},
                }
            ),
        )
    },
    ins={CLEAN: dg.AssetIn()},
    check_specs=[schema_check_spec(QUERIES, SearchQueries)],
)
def search_queries(context: dg.AssetExecutionContext, warehouse: Warehouse, clean_events: dict[str, pl.LazyFrame]):
    with WriteAuditPublish(context, warehouse, {QUERIES: SearchQueries}) as wap:
        for key in context.partition_keys:
            frame = day_queries(clean_events[key]).collect()
            figures = {"search_events_with_text": int(frame["searches"].sum() or 0)}
            yield from wap.day(key, {QUERIES: frame}, figures=figures)
        yield from wap.outputs()


_DEFAULT_EMBEDDINGS, _DEFAULT_INDEX = search_query_embeddings_model(), search_index_model()


@daily_multi_asset(
    outs={
        EMBEDDINGS: table_out(
            GROUP,
            "One embedding per (date, query) of search_queries, L2-normalised; texts embedded on an earlier "
            "day or run with the same model come from the published days instead of the model.",
            model=_DEFAULT_EMBEDDINGS,
            lineage=column_lineage({"date": {QUERIES: ["date"]}, "query": {QUERIES: ["query"]}}),
        ),
        INDEX: table_out(
            GROUP,
            "The vector index `pipeline-assets search` reads: every day's queries with counts and vectors "
            "(exact cosine search over all days).",
            model=_DEFAULT_INDEX,
            lineage=column_lineage(
                {
                    "date": {QUERIES: ["date"]},
                    "query": {QUERIES: ["query"]},
                    "searches": {QUERIES: ["searches"]},
                    "users": {QUERIES: ["users"]},
                    "model": {EMBEDDINGS: ["model"]},
                    "embedding": {EMBEDDINGS: ["embedding"]},
                }
            ),
        ),
    },
    ins={QUERIES: dg.AssetIn()},
    internal_asset_deps={EMBEDDINGS: {dg.AssetKey(QUERIES)}, INDEX: {dg.AssetKey(QUERIES), dg.AssetKey(EMBEDDINGS)}},
    check_specs=[
        schema_check_spec(EMBEDDINGS, _DEFAULT_EMBEDDINGS),
        checks.embedded_once_spec(EMBEDDINGS),
        schema_check_spec(INDEX, _DEFAULT_INDEX),
    ],
    can_subset=False,  # the index is the embeddings of the same step, never of another run
)
def embed_search_queries(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    search_embedder: SearchEmbeddings,
    search_queries: dict[str, pl.LazyFrame],
):
    dimension = search_embedder.vector_dimension
    models = {EMBEDDINGS: search_query_embeddings_model(dimension), INDEX: search_index_model(dimension)}
    with WriteAuditPublish(context, warehouse, models) as wap:
        cache = EmbeddingCache(search_embedder.embedder(log=context.log.warning), _published_lookup(warehouse.store))
        days = {key: search_queries[key].collect() for key in context.partition_keys}
        cache.load([q for frame in days.values() for q in frame["query"]])
        for key, queries in days.items():
            vectors, sent = cache.vectors(queries["query"].to_list())
            embeddings = embeddings_table(queries, search_embedder.model_id, vectors)
            index = queries.select("date", "query", "searches", "users").join(
                embeddings.drop("date"), on="query", how="left", maintain_order="left"
            )
            figures = {"embedded_now": sent, "from_cache": queries.height - sent, "model": search_embedder.model_id}
            context.log.info(f"{key}: {queries.height} queries, {sent} sent to {search_embedder.model_id}")
            evaluation = checks.embedded_once_evaluation(EMBEDDINGS, key, queries, embeddings, dimension)
            yield from wap.day(key, {EMBEDDINGS: embeddings, INDEX: index}, [evaluation], figures)
        yield from wap.outputs()


def embeddings_table(queries: pl.DataFrame, model: str, vectors: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "date": queries["date"],
            "query": queries["query"],
            "model": pl.Series([model] * queries.height, dtype=pl.String),
            "embedding": pl.Series(vectors.tolist(), dtype=pl.List(pl.Float32)),
        }
    )


def _published_lookup(store: Store):
    def lookup(model: str, dimension: int, texts: list[str]) -> pl.DataFrame:
        days = published_days(store, EMBEDDINGS)
        if not days:
            return pl.DataFrame(schema={"query": pl.String, "embedding": pl.List(pl.Float32)})
        scan = asset_scan(store, EMBEDDINGS, days).filter(
            pl.col("model") == model, pl.col("query").is_in(texts), pl.col("embedding").list.len() == dimension
        )
        return scan.select("query", "embedding").unique("query", keep="any").collect()

    return lookup


@daily_multi_asset(
    outs={
        THEMES: table_out(
            GROUP,
            "Themes of the 7 days ending `date`: queries clustered by meaning, labelled by their most searched "
            "queries and distinctive terms, with searches, users and change against the 7 days before.",
            model=SearchThemes,
            lineage=column_lineage(
                {
                    "date": {QUERIES: ["date"]},
                    "label": {QUERIES: ["query"], EMBEDDINGS: ["embedding"]},
                    "representative_queries": {QUERIES: ["query"]},
                    "top_terms": {QUERIES: ["query"]},
                    "queries": {QUERIES: ["query"]},
                    "searches": {QUERIES: ["searches"]},
                    "users": {QUERIES: ["user_ids"]},
                    "searches_previous": {QUERIES: ["searches"]},
                }
            ),
        )
    },
    # Day to day, like rolling_revenue_7d: the earlier days of both windows are read from the
    # warehouse (a 7-day partition mapping would make every backfill plan the days after it).
    ins={QUERIES: dg.AssetIn(), EMBEDDINGS: dg.AssetIn()},
    check_specs=[schema_check_spec(THEMES, SearchThemes)],
)
def search_themes(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    search_queries: dict[str, pl.LazyFrame],
    search_query_embeddings: dict[str, pl.LazyFrame],
):
    with WriteAuditPublish(context, warehouse, {THEMES: SearchThemes}) as wap:
        for key in context.partition_keys:
            window, previous = window_days(key), previous_window_days(key)
            queries = _days(warehouse.store, QUERIES, search_queries, window + previous)
            vectors = _days(warehouse.store, EMBEDDINGS, search_query_embeddings, window + previous)
            window_vectors = _of(vectors, window + previous)
            _require_one_model(window_vectors, key)
            current = themes.window_queries(_of(queries, window), _of(vectors, window))
            before = themes.window_queries(_of(queries, previous), _of(vectors, previous))
            table = themes.themes(current, before).select(
                pl.lit(date.fromisoformat(key)).alias("date"),
                pl.lit(date.fromisoformat(window[0])).alias("window_start"),
                pl.all(),
            )
            yield from wap.day(key, {THEMES: table}, figures={"themes": table.height})
        yield from wap.outputs()


def previous_window_days(partition_key: str) -> list[str]:
    """The 7 days before `window_days` (those before the start date count as empty)."""
    return window_days((date.fromisoformat(partition_key) - timedelta(days=ROLLING_WINDOW_DAYS)).isoformat())


def _days(store: Store, asset: str, loaded: dict[str, pl.LazyFrame], days: list[str]) -> dict[str, pl.LazyFrame]:
    earlier = sorted(set(days) - set(loaded))
    return {**loaded, **scan_partitions(store, asset, earlier)}


def _require_one_model(vectors: pl.DataFrame, partition_key: str) -> None:
    """Vectors of two models (or dimensions) cannot be compared: say which days to embed again."""
    kinds = vectors.group_by("model", pl.col("embedding").list.len().alias("dimension")).agg(
        pl.col("date").unique().sort().alias("days")
    )
    if kinds.height > 1:
        listed = "; ".join(
            f"{row['model']} ({row['dimension']} dimensions) on {', '.join(map(str, row['days']))}"
            for row in kinds.sort("model", "dimension").iter_rows(named=True)
        )
        raise dg.Failure(
            f"search_themes for {partition_key}: the 14 days it compares hold vectors of different models: "
            f"{listed}. Materialise search_query_embeddings again for the days of the old model.",
            allow_retries=False,
        )


def _of(scans: dict[str, pl.LazyFrame], days: list[str]) -> pl.DataFrame:
    if not days:
        return pl.DataFrame(
            schema={
                "date": pl.Date,
                "query": pl.String,
                "searches": pl.UInt32,
                "user_ids": pl.List(pl.Int64),
                "model": pl.String,
                "embedding": pl.List(pl.Float32),
            }
        )
    return pl.concat([scans[d] for d in days], how="vertical").collect()
