"""The embeddings' own blocking check: every query of the day embedded exactly once, by one
model, into vectors of the model's dimension (the row-level vector rules, no NaN and unit
length, are in the table's Pandera model)."""

import dagster as dg
import polars as pl

from pipeline_assets.checks import blocking_evaluation, daily_check_spec
from pipeline_assets.search.embedders import vector_problems

EMBEDDED_ONCE_CHECK = "every_query_embedded_once"
SAMPLE = 5


def embedded_once_spec(asset: str) -> dg.AssetCheckSpec:
    return daily_check_spec(
        EMBEDDED_ONCE_CHECK,
        asset,
        "Each query of the day's search_queries has exactly one embedding, all from one model, "
        "of the model's dimension, finite and of unit length.",
    )


def embedded_once_problems(queries: pl.DataFrame, embeddings: pl.DataFrame, dimension: int) -> list[str]:
    """What is wrong with the day's embeddings against its queries (nothing: an empty list)."""
    problems = []
    wanted, embedded = queries["query"], embeddings["query"]
    repeated = embedded.filter(embedded.is_duplicated()).unique().sort()
    if repeated.len():
        problems.append(f"{repeated.len()} queries embedded more than once, e.g. {repeated.head(SAMPLE).to_list()}")
    missing = wanted.filter(~wanted.is_in(embedded.implode())).sort()
    if missing.len():
        problems.append(f"{missing.len()} queries not embedded, e.g. {missing.head(SAMPLE).to_list()}")
    extra = embedded.filter(~embedded.is_in(wanted.implode())).unique().sort()
    if extra.len():
        problems.append(f"{extra.len()} embeddings of no query of the day, e.g. {extra.head(SAMPLE).to_list()}")
    models = embeddings["model"].unique().sort().to_list()
    if len(models) > 1:
        problems.append(f"embeddings from several models: {models}")
    lengths = embeddings["embedding"].list.len().unique().to_list()
    if lengths and lengths != [dimension]:
        problems.append(f"embeddings of {sorted(lengths)} dimensions, expected {dimension}")
    elif embeddings.height:
        import numpy as np

        problems += vector_problems(
            np.asarray(embeddings["embedding"].to_list(), dtype=np.float32), embeddings.height, dimension
        )
    return problems


def embedded_once_evaluation(
    asset: str, partition_key: str, queries: pl.DataFrame, embeddings: pl.DataFrame, dimension: int
) -> dg.AssetCheckEvaluation:
    problems = embedded_once_problems(queries, embeddings, dimension)
    metadata = {"queries": queries.height, "embeddings": embeddings.height, "dimension": dimension}
    if problems:
        metadata.update(failures=len(problems), problems=dg.MetadataValue.md("\n".join(f"- {p}" for p in problems)))
    return blocking_evaluation(asset, EMBEDDED_ONCE_CHECK, partition_key, not problems, metadata)
