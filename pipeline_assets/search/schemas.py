"""The search tables' columns and rules (`pipeline_assets.schemas` style: Pandera audits every
row of a staged day, the UI shows the same declaration)."""

import functools

import polars as pl

from pipeline_assets.schemas import PARTITION_DAY, Column, RowRule, TableModel
from pipeline_assets.search.embedders import LOCAL_DIMENSION, UNIT_NORM_TOLERANCE

QUERY = Column("query", pl.String, "Normalised query text (NFKC, case folded, single spaces).")
SEARCHES = Column("searches", pl.UInt32, "Search events with this text.", checks=(("ge", 1),))
USERS = Column("users", pl.UInt32, "Distinct users who searched it.", checks=(("ge", 1),))
MODEL = Column("model", pl.String, "Embedding model the vector comes from.", checks=(("str_length", {"min_value": 1}),))

SearchQueries = TableModel(
    "SearchQueries",
    (
        PARTITION_DAY,
        QUERY,
        SEARCHES,
        USERS,
        Column("user_ids", pl.List(pl.Int64), "The distinct users, sorted (for distinct users over a window)."),
    ),
    unique=("date", "query"),
    rules=(RowRule("users differs from len(user_ids)", pl.col("users") == pl.col("user_ids").list.len()),),
)


def _vector_rules(dimension: int) -> tuple[RowRule, ...]:
    values = pl.col("embedding")
    norm = values.list.eval(pl.element().cast(pl.Float64).pow(2)).list.sum().sqrt()
    return (
        RowRule(f"embedding does not have {dimension} dimensions", values.list.len() == dimension),
        RowRule("embedding holds NaN or infinity", values.list.eval(pl.element().is_finite()).list.all()),
        RowRule("embedding is not of unit length", (norm - 1).abs() <= UNIT_NORM_TOLERANCE),
    )


def _embedding(dimension: int) -> Column:
    return Column("embedding", pl.List(pl.Float32), f"L2-normalised vector, {dimension} float32.")


@functools.cache
def search_query_embeddings_model(dimension: int = LOCAL_DIMENSION) -> TableModel:
    return TableModel(
        "SearchQueryEmbeddings",
        (PARTITION_DAY, QUERY, MODEL, _embedding(dimension)),
        unique=("date", "query"),
        rules=_vector_rules(dimension),
    )


@functools.cache
def search_index_model(dimension: int = LOCAL_DIMENSION) -> TableModel:
    return TableModel(
        "SearchIndex",
        (PARTITION_DAY, QUERY, SEARCHES, USERS, MODEL, _embedding(dimension)),
        unique=("date", "query"),
        rules=_vector_rules(dimension),
    )


SearchThemes = TableModel(
    "SearchThemes",
    (
        Column("date", pl.Date, "Last day of the 7-day window."),
        Column("window_start", pl.Date, "First day of the window (days before the start date count as empty)."),
        Column("theme", pl.UInt32, "Rank of the theme by searches in the window, from 1.", checks=(("ge", 1),)),
        Column("label", pl.String, "The theme's most searched query.", checks=(("str_length", {"min_value": 1}),)),
        Column("representative_queries", pl.List(pl.String), "Its most searched queries, up to 3."),
        Column("top_terms", pl.List(pl.String), "Words that set it apart from the other themes, up to 5."),
        Column("queries", pl.UInt32, "Distinct queries in the theme.", checks=(("ge", 1),)),
        Column("searches", pl.UInt32, "Search events in the window.", checks=(("ge", 1),)),
        Column("users", pl.UInt32, "Distinct users in the window.", checks=(("ge", 1),)),
        Column("searches_previous", pl.UInt32, "Searches of the 7 days before that match the theme."),
        Column("change", pl.Int64, "searches - searches_previous."),
        Column("change_pct", pl.Float64, "change / searches_previous; null when there were none.", nullable=True),
    ),
    unique=("date", "theme"),
    rules=(RowRule("users > searches", pl.col("users") <= pl.col("searches")),),
)
