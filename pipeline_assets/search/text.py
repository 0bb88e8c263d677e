"""Search query text: how a query is normalised, and the day's queries from clean_events."""

import unicodedata
from collections.abc import Iterator, Sequence

import polars as pl

# Longer text is almost never a typed query (a pasted page, a bot): cut so that one row cannot
# cost a whole batch's tokens; the model reads at most 128 tokens anyway.
MAX_QUERY_CHARS = 200
QUERY_KEY = "q"  # search events carry their text as metadata = {"q": "..."}


def normalise(text: str) -> str:
    """What two ways of typing the same query have in common: Unicode NFKC, case folded, every
    run of whitespace (and control characters) one space, trimmed, at most MAX_QUERY_CHARS."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    cleaned = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in folded)
    return " ".join(cleaned.split())[:MAX_QUERY_CHARS].strip()


def normalised_query(column: str = "metadata") -> pl.Expr:
    """`normalise` as a Polars expression over a metadata JSON column (null when no usable text)."""
    text = pl.col(column).str.json_path_match(f"$.{QUERY_KEY}")
    # map_batches keeps Python's own Unicode tables (casefold, categories) for one Series at a time.
    normalised = text.map_batches(
        lambda s: s.map_elements(normalise, return_dtype=pl.String, skip_nulls=True), return_dtype=pl.String
    )
    return pl.when(normalised.str.len_chars() > 0).then(normalised).alias("query")


def day_queries(clean_events: pl.LazyFrame) -> pl.LazyFrame:
    """One row per (date, normalised query) of the day's search events: searches (events), users
    (distinct) and user_ids (sorted, for distinct users over a window). Searches without text are
    left out (they are counted by the asset's metadata)."""
    searches = clean_events.filter(pl.col("event_type") == "search").select("date", "user_id", normalised_query())
    return (
        searches.filter(pl.col("query").is_not_null())
        .group_by("date", "query")
        .agg(
            pl.len().cast(pl.UInt32).alias("searches"),
            pl.col("user_id").n_unique().cast(pl.UInt32).alias("users"),
            pl.col("user_id").unique().sort().alias("user_ids"),
        )
        .sort("searches", "query", descending=[True, False])
    )


def batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """``items`` in consecutive slices of at most ``size`` (the last one shorter)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]
