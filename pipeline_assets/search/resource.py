"""The embedding backend as a Dagster resource, configured from the environment.

PIPELINE_EMBEDDINGS_BACKEND   ``local`` (default: the packaged MiniLM on the CPU) or ``http``
PIPELINE_EMBEDDINGS_URL       http: the OpenAI-compatible base URL (``…/v1``) or ``…/v1/embeddings``
PIPELINE_EMBEDDINGS_MODEL     http: the model name sent with each request
PIPELINE_EMBEDDINGS_DIMENSION http: the model's vector length (checked on every response)
PIPELINE_EMBEDDINGS_API_KEY   http: sent as a bearer token; read when used, never stored in config
"""

import os
from collections.abc import Callable

import dagster as dg

from pipeline_assets.search.embedders import LOCAL_DIMENSION, LOCAL_MODEL, Embedder, LocalOnnxEmbedder
from pipeline_assets.search.http_embedder import HttpEmbedder

BACKENDS = ("local", "http")
API_KEY_ENV = "PIPELINE_EMBEDDINGS_API_KEY"


class SearchEmbeddings(dg.ConfigurableResource):
    """Which model embeds search queries, and how it is reached."""

    backend: str = "local"
    endpoint_url: str = ""
    model: str = ""
    dimension: int = 0
    timeout_seconds: float = 30.0
    max_retries: int = 5
    batch_size: int = 256

    @classmethod
    def from_env(cls) -> "SearchEmbeddings":
        env = os.environ
        dimension = env.get("PIPELINE_EMBEDDINGS_DIMENSION", "0")
        if not dimension.isdigit():
            raise ValueError(f"PIPELINE_EMBEDDINGS_DIMENSION must be a positive integer, got {dimension!r}")
        resource = cls(
            backend=env.get("PIPELINE_EMBEDDINGS_BACKEND", "local"),
            endpoint_url=env.get("PIPELINE_EMBEDDINGS_URL", ""),
            model=env.get("PIPELINE_EMBEDDINGS_MODEL", ""),
            dimension=int(dimension),
        )
        resource.validate_settings()
        return resource

    def validate_settings(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"PIPELINE_EMBEDDINGS_BACKEND must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.backend == "http":
            missing = [
                name
                for name, value in (
                    ("PIPELINE_EMBEDDINGS_URL", self.endpoint_url),
                    ("PIPELINE_EMBEDDINGS_MODEL", self.model),
                    ("PIPELINE_EMBEDDINGS_DIMENSION", self.dimension),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"the http embedding backend needs {', '.join(missing)}")

    @property
    def model_id(self) -> str:
        """What the vectors are keyed and labelled by (the cache, the index, the search command)."""
        return LOCAL_MODEL if self.backend == "local" else self.model

    @property
    def vector_dimension(self) -> int:
        return LOCAL_DIMENSION if self.backend == "local" else self.dimension

    def embedder(self, log: Callable[[str], None] = lambda message: None) -> Embedder:
        self.validate_settings()
        if self.backend == "local":
            return LocalOnnxEmbedder(batch_size=self.batch_size)
        return HttpEmbedder(
            self.endpoint_url,
            self.model,
            self.dimension,
            api_key=os.environ.get(API_KEY_ENV) or None,
            timeout_seconds=self.timeout_seconds,
            max_retries=self.max_retries,
            batch_size=self.batch_size,
            log=log,
        )
