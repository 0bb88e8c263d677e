"""``pipeline-assets search "TEXT" [--days N]``: the nearest queries users searched for.

Reads the ``search_index`` published in the configured warehouse (local disk or an object store),
embeds TEXT with the configured backend, and ranks the distinct queries of the chosen days by
cosine similarity (exact search: one matrix product).
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from pipeline_assets.search.embedders import Embedder
from pipeline_assets.search.nearest import top_k
from pipeline_assets.search.text import normalise
from pipeline_assets.storage import Store
from pipeline_assets.warehouse import PARTITION_COLUMN, asset_scan, published_days

INDEX = "search_index"


class SearchError(ValueError):
    """A search that cannot run as asked (nothing published, another model, bad arguments)."""


@dataclass(frozen=True)
class SearchResult:
    matches: pl.DataFrame  # query, similarity, searches, users, days, first_date, last_date
    first_day: date
    last_day: date
    indexed_queries: int


def search(store: Store, text: str, embedder: Embedder, days: int | None = None, top: int = 10) -> SearchResult:
    """The ``top`` distinct queries of the last ``days`` published days (all days by default)
    nearest to ``text``, each with its searches summed over those days and the days it was seen."""
    query = normalise(text)
    if not query:
        raise SearchError("the search text is empty")
    if days is not None and days < 1:
        raise SearchError(f"--days must be at least 1, got {days}")
    if top < 1:
        raise SearchError(f"--top must be at least 1, got {top}")
    published = published_days(store, INDEX)
    if not published:
        raise SearchError(f"{store.uri(INDEX)} has no published day: materialise search_index first")
    last = date.fromisoformat(published[-1])
    first = last - timedelta(days=days - 1) if days else date.fromisoformat(published[0])
    rows = (
        asset_scan(store, INDEX, published)
        .filter(pl.col(PARTITION_COLUMN).is_between(first, last))
        .select(PARTITION_COLUMN, "query", "searches", "users", "model", "embedding")
        .collect()
    )
    models = sorted(set(rows["model"].unique().to_list()))
    if models and models != [embedder.model]:
        raise SearchError(
            f"the index holds vectors of {', '.join(models)} but the configured backend embeds with "
            f"{embedder.model}: set PIPELINE_EMBEDDINGS_* as when the index was built"
        )
    distinct = rows.group_by("query").agg(
        pl.col("embedding").first(),
        pl.col("searches").sum().cast(pl.Int64),
        pl.col("users").sum().cast(pl.Int64).alias("users"),
        pl.col(PARTITION_COLUMN).n_unique().cast(pl.Int64).alias("days"),
        pl.col(PARTITION_COLUMN).min().alias("first_date"),
        pl.col(PARTITION_COLUMN).max().alias("last_date"),
    )
    if distinct.height == 0:
        empty = distinct.drop("embedding").with_columns(pl.lit(0.0).alias("similarity"))
        return SearchResult(empty, first, last, 0)
    vectors = np.asarray(distinct["embedding"].to_list(), dtype=np.float32)
    best, similarity = top_k(embedder.embed([query]), vectors, top)
    matches = distinct.drop("embedding")[best[0].tolist()].with_columns(
        pl.Series("similarity", similarity[0].round(3), dtype=pl.Float64)
    )
    return SearchResult(
        matches.select("query", "similarity", "searches", "users", "days", "first_date", "last_date"),
        first,
        last,
        distinct.height,
    )


def format_matches(result: SearchResult) -> str:
    """The matches as an aligned text table (``users`` is summed over days, so a user who
    searched on two days counts twice: it says how many daily searchers, not people)."""
    header = f"{'similarity':>10}  {'searches':>8}  {'days':>4}  {'first':10}  {'last':10}  query"
    lines = [header]
    for row in result.matches.iter_rows(named=True):
        lines.append(
            f"{row['similarity']:>10.3f}  {row['searches']:>8,}  {row['days']:>4}  "
            f"{row['first_date']!s:10}  {row['last_date']!s:10}  {row['query']}"
        )
    return "\n".join(lines)
