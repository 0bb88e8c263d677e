"""Exact nearest-neighbour search over unit vectors, and the recall it is measured by."""

from collections.abc import Sequence

import numpy as np


def top_k(query_vectors: np.ndarray, index_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the indices of the ``k`` most similar index rows (cosine, best first)
    and their similarities. Exact: one matrix product (tens of thousands of rows take
    milliseconds, well inside what a week or a year of distinct queries makes)."""
    k = min(k, len(index_vectors))
    similarity = query_vectors @ index_vectors.T
    if k == 0:
        empty = np.empty((len(query_vectors), 0))
        return empty.astype(np.int64), empty
    best = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    ordered = np.take_along_axis(best, np.argsort(-np.take_along_axis(similarity, best, axis=1), axis=1), axis=1)
    return ordered, np.take_along_axis(similarity, ordered, axis=1)


def recall_at_k(retrieved: Sequence[Sequence[str]], relevant: Sequence[set[str]], k: int) -> float:
    """Mean over probes of |relevant among the first k retrieved| / min(k, |relevant|): 1 when
    the top k hold as many relevant items as they could."""
    scores = [
        len(set(list(found)[:k]) & wanted) / min(k, len(wanted))
        for found, wanted in zip(retrieved, relevant, strict=True)
        if wanted
    ]
    return sum(scores) / len(scores) if scores else 0.0
