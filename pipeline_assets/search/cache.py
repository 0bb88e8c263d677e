"""The embedding cache: a text is sent to the model once per model, whatever the days.

Keyed by (model, dimension, normalised text): a model name reconfigured to another dimension
gets its texts embedded again rather than vectors of two lengths side by side. The store behind it is the warehouse itself: every published
day of ``search_query_embeddings`` (so a backfill or a re-run pays only for texts never embedded
before), plus the days computed earlier in the same run, which are not published yet.
"""

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from pipeline_assets.search.embedders import Embedder

PublishedLookup = Callable[[str, int, Sequence[str]], pl.DataFrame]  # (model, dimension, texts) -> query, embedding


class EmbeddingCache:
    def __init__(self, embedder: Embedder, published: PublishedLookup):
        self.embedder, self.published = embedder, published
        self.run: dict[str, np.ndarray] = {}  # this run's vectors, by text

    def load(self, texts: Sequence[str]) -> None:
        """Look ``texts`` up in the published days at once (one read for a whole range run)."""
        wanted = [t for t in dict.fromkeys(texts) if t not in self.run]
        if wanted:
            found = self.published(self.embedder.model, self.embedder.dimension, wanted)
            for text, vector in zip(found["query"].to_list(), found["embedding"].to_list(), strict=True):
                self.run[text] = np.asarray(vector, dtype=np.float32)

    def vectors(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """A unit vector per text, in order, and how many texts had to be sent to the model."""
        self.load(texts)
        new = [t for t in dict.fromkeys(texts) if t not in self.run]
        if new:
            for text, vector in zip(new, self.embedder.embed(new), strict=True):
                self.run[text] = vector
        if not texts:
            return np.empty((0, self.embedder.dimension), dtype=np.float32), 0
        return np.stack([self.run[t] for t in texts]), len(new)
