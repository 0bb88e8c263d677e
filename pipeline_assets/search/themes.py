"""Themes: the week's queries clustered by meaning, each with a readable label.

Queries are grouped by average-linkage agglomerative clustering on cosine distance, cut at a
fixed distance rather than a fixed number of clusters (the number of things users look for is
what we want to learn). The previous window's queries are then matched to the nearest theme to
measure its change.
"""

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import polars as pl

# Two groups of queries join while their average cosine distance is below this (similarity
# above 0.3): on the generator's topics it gives themes that are each one topic (purity 1.0) and
# split a topic rarely (0.92 of queries with their topic's main theme); 0.85 merges topics. See
# benchmarks/search_quality.py and RESULTS.md.
DISTANCE_THRESHOLD = 0.7
# Agglomerative clustering holds an n x n distance matrix: the most searched queries are
# clustered, the rest join their nearest theme (or none).
MAX_CLUSTERED_QUERIES = 4000
REPRESENTATIVES = 3
TOP_TERMS = 5
_WORD = re.compile(r"[^\W\d_][\w'-]+")
STOP_WORDS = frozenset(
    "a an and are as at be best buy by cheap for from good how i in is it me my near of on or the to under "
    "what where which with without you your".split()
)


def cluster(vectors: np.ndarray, threshold: float = DISTANCE_THRESHOLD) -> np.ndarray:
    """A cluster number per row of unit ``vectors`` (0, 1, ...; one row alone is cluster 0)."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=np.int64)
    # SciPy's hierarchy, not scikit-learn's AgglomerativeClustering: the same average linkage on
    # cosine distance, cut at the threshold, but about 0.3 s to import instead of 2 s, which
    # every run of the themes paid (a one-day CLI run is meant to take under 8 s).
    from scipy.cluster.hierarchy import fcluster, linkage

    merges = linkage(vectors.astype(np.float64), method="average", metric="cosine")
    return (fcluster(merges, t=threshold, criterion="distance") - 1).astype(np.int64)


def purity(clusters: Sequence[int], truth: Sequence[str]) -> float:
    """Share of items whose cluster's most common true label is their own."""
    by_cluster: dict[int, Counter] = {}
    for c, t in zip(clusters, truth, strict=True):
        by_cluster.setdefault(c, Counter())[t] += 1
    return sum(counts.most_common(1)[0][1] for counts in by_cluster.values()) / max(1, len(truth))


def terms(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w not in STOP_WORDS]


def top_terms(queries_by_theme: Sequence[Sequence[tuple[str, int]]], limit: int = TOP_TERMS) -> list[list[str]]:
    """Per theme, the words weighted by searches that are frequent in it and rare in the others
    (a class-based TF-IDF), best first."""
    counts = []
    for queries in queries_by_theme:
        counter: Counter = Counter()
        for text, searches in queries:
            for word in set(terms(text)):
                counter[word] += searches
        counts.append(counter)
    themes_with = Counter(word for counter in counts for word in counter)
    result = []
    for counter in counts:
        scored = {w: n * math.log(1 + len(counts) / themes_with[w]) for w, n in counter.items()}
        result.append([w for w, _ in sorted(scored.items(), key=lambda item: (-item[1], item[0]))[:limit]])
    return result


def window_queries(queries: pl.DataFrame, embeddings: pl.DataFrame) -> pl.DataFrame:
    """One row per distinct query of a window: searches summed, user_ids merged, its vector."""
    vectors = embeddings.select("query", "embedding").unique("query", keep="first")
    merged = queries.group_by("query").agg(
        pl.col("searches").sum().cast(pl.UInt32),
        pl.col("user_ids").list.explode(keep_nulls=False, empty_as_null=False).unique().alias("user_ids"),
    )
    missing = merged.join(vectors, on="query", how="anti")
    if missing.height:
        raise ValueError(f"{missing.height} queries of the window have no embedding, e.g. {missing['query'][0]!r}")
    return merged.join(vectors, on="query").sort("searches", "query", descending=[True, False])


def themes(window: pl.DataFrame, previous: pl.DataFrame, threshold: float = DISTANCE_THRESHOLD) -> pl.DataFrame:
    """The themes of ``window`` (`window_queries` of the 7 days), most searched first, with how
    many searches of ``previous`` (the 7 days before) fall into each."""
    if window.height == 0:
        return _empty()
    vectors = _matrix(window)
    head = min(len(vectors), MAX_CLUSTERED_QUERIES)
    labels = np.full(len(vectors), -1, dtype=np.int64)
    labels[:head] = cluster(vectors[:head], threshold)
    centroids = _centroids(vectors[:head], labels[:head])
    if head < len(vectors):
        labels[head:] = _nearest(vectors[head:], centroids, threshold)
    grouped = (
        window.with_columns(pl.Series("cluster", labels))
        .filter(pl.col("cluster") >= 0)
        .group_by("cluster")
        .agg(
            pl.col("query").alias("members"),
            pl.col("searches").alias("member_searches"),
            pl.len().cast(pl.UInt32).alias("queries"),
            pl.col("searches").sum().cast(pl.UInt32).alias("searches"),
            pl.col("user_ids")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .n_unique()
            .cast(pl.UInt32)
            .alias("users"),
        )
        .sort("searches", "queries", descending=True)
    )
    previous_searches = Counter()
    if previous.height:
        matched = _nearest(_matrix(previous), centroids, threshold)
        for cluster_id, searches in zip(matched, previous["searches"].to_list(), strict=True):
            if cluster_id >= 0:
                previous_searches[int(cluster_id)] += searches
    members = [
        sorted(zip(q, s, strict=True), key=lambda item: (-item[1], item[0]))
        for q, s in zip(grouped["members"].to_list(), grouped["member_searches"].to_list(), strict=True)
    ]
    table = grouped.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias("theme"),
        pl.Series("label", [m[0][0] for m in members], dtype=pl.String),
        pl.Series("representative_queries", [[q for q, _ in m[:REPRESENTATIVES]] for m in members]),
        pl.Series("top_terms", top_terms(members), dtype=pl.List(pl.String)),
        "queries",
        "searches",
        "users",
        pl.Series("searches_previous", [previous_searches[c] for c in grouped["cluster"]], dtype=pl.UInt32),
    )
    change = pl.col("searches").cast(pl.Int64) - pl.col("searches_previous").cast(pl.Int64)
    return table.with_columns(
        change.alias("change"),
        pl.when(pl.col("searches_previous") > 0).then(change / pl.col("searches_previous")).alias("change_pct"),
    ).with_columns(pl.col("representative_queries").cast(pl.List(pl.String)))


def _matrix(frame: pl.DataFrame) -> np.ndarray:
    return np.asarray(frame["embedding"].to_list(), dtype=np.float32)


def _centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    count = int(labels.max()) + 1 if len(labels) else 0
    centroids = np.zeros((count, vectors.shape[1] if vectors.ndim == 2 else 0), dtype=np.float32)
    for c in range(count):
        mean = vectors[labels == c].mean(axis=0)
        centroids[c] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return centroids


def _nearest(vectors: np.ndarray, centroids: np.ndarray, threshold: float) -> np.ndarray:
    """The closest centroid of each vector, or -1 when none is within the clustering distance."""
    if len(centroids) == 0:
        return np.full(len(vectors), -1, dtype=np.int64)
    similarity = vectors @ centroids.T
    best = similarity.argmax(axis=1)
    return np.where(similarity[np.arange(len(vectors)), best] >= 1 - threshold, best, -1)


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "theme": pl.UInt32,
            "label": pl.String,
            "representative_queries": pl.List(pl.String),
            "top_terms": pl.List(pl.String),
            "queries": pl.UInt32,
            "searches": pl.UInt32,
            "users": pl.UInt32,
            "searches_previous": pl.UInt32,
            "change": pl.Int64,
            "change_pct": pl.Float64,
        }
    )
