"""The alternative embedding backend: an OpenAI-compatible ``POST /v1/embeddings`` endpoint.

Every request has a deadline; throttling (429, honouring ``Retry-After``), server errors (5xx),
stalls, dropped connections and malformed responses are retried with exponential backoff and
full jitter, up to ``max_retries`` times; any other client error (a bad key, an unknown model)
fails at once. Every response is validated (one vector per text, indices in order, the model's
dimension, finite numbers) before it is used. The API key goes only into the request header,
never into a log line or an error.
"""

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime

import numpy as np

from pipeline_assets.search.embedders import EmbeddingError, unit_rows
from pipeline_assets.search.text import batches

RETRIED_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class RetryableError(EmbeddingError):
    """A failure another attempt may not meet (throttled, a server error, a stall, a bad body)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def embeddings_url(base_url: str) -> str:
    """``…/v1`` (an OpenAI-style base URL) or the full ``…/v1/embeddings``."""
    base = base_url.rstrip("/")
    return base if base.endswith("/embeddings") else f"{base}/embeddings"


class HttpEmbedder:
    def __init__(
        self,
        base_url: str,
        model: str,
        dimension: int | None = None,
        api_key: str | None = None,
        timeout_seconds: float = 30.0,
        max_retries: int = 5,
        batch_size: int = 128,
        backoff_seconds: float = 0.5,
        max_wait_seconds: float = 60.0,
        log: Callable[[str], None] = lambda message: None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the embedding endpoint must be an http(s) URL, got {base_url!r}")
        self.url, self.model, self.dimension = embeddings_url(base_url), model, dimension
        self._api_key = api_key
        self.timeout, self.max_retries, self.batch_size = timeout_seconds, max_retries, batch_size
        self.backoff, self.max_wait = backoff_seconds, max_wait_seconds
        self.log, self.sleep, self.rng = log, sleep, rng or random.Random()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        parts = [self._with_retries(list(batch)) for batch in batches(list(texts), self.batch_size)]
        width = self.dimension or 0
        return np.concatenate(parts) if parts else np.empty((0, width), dtype=np.float32)

    def _with_retries(self, texts: list[str]) -> np.ndarray:
        for attempt in range(self.max_retries + 1):
            try:
                return self._request(texts)
            except RetryableError as error:
                if attempt == self.max_retries:
                    raise EmbeddingError(f"{self.url}: gave up after {attempt + 1} attempts; last: {error}") from None
                wait = self._wait(attempt, error.retry_after)
                self.log(f"embedding request failed ({error}); attempt {attempt + 2} in {wait:.2f} s")
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        """Full jitter over an exponential ceiling, so that many clients do not retry in step;
        the server's Retry-After, when it gives one, is a floor (capped at max_wait)."""
        jittered = self.rng.uniform(0, min(self.max_wait, self.backoff * 2**attempt))
        if retry_after is None:
            return jittered
        return min(self.max_wait, retry_after + jittered * 0.1)

    def _request(self, texts: list[str]) -> np.ndarray:
        body = json.dumps({"model": self.model, "input": texts}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        deadline = time.monotonic() + self.timeout
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = _read_until(response, deadline)
        except urllib.error.HTTPError as error:
            status = error.code
            detail = _short(error.read(2048))
            if self._api_key:  # an endpoint may echo the request's headers back
                detail = detail.replace(self._api_key, "***")
            if status in RETRIED_STATUSES:
                raise RetryableError(f"HTTP {status}", _retry_after(error.headers.get("Retry-After"))) from None
            raise EmbeddingError(f"{self.url}: HTTP {status} (not retried): {detail}") from None
        except TimeoutError:
            raise RetryableError(f"no complete response within {self.timeout:g} s") from None
        except (urllib.error.URLError, ConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise RetryableError(f"connection failed: {type(reason).__name__}") from None
        return self._vectors(payload, len(texts))

    def _vectors(self, payload: bytes, count: int) -> np.ndarray:
        try:
            document = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            raise RetryableError(f"response is not JSON: {_short(payload)}") from None
        vectors = parse_embeddings(document, count, self.dimension)
        if self.dimension is None:
            self.dimension = vectors.shape[1]  # the first answer fixes it for the rest
        return unit_rows(vectors)


def parse_embeddings(document: object, count: int, dimension: int | None) -> np.ndarray:
    """The ``count`` vectors of an embeddings response, in input order; a response of the wrong
    shape is a RetryableError naming what is wrong."""
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, list):
        raise RetryableError("response has no 'data' list")
    if len(data) != count:
        raise RetryableError(f"response has {len(data)} embeddings for {count} inputs")
    by_index: dict[int, list] = {}
    for item in data:
        index = item.get("index") if isinstance(item, dict) else None
        vector = item.get("embedding") if isinstance(item, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count or index in by_index:
            raise RetryableError(f"response has a missing, repeated or out-of-range index: {index!r}")
        if not isinstance(vector, list) or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector
        ):
            raise RetryableError(f"embedding {index} is not a list of numbers")
        by_index[index] = vector
    widths = {len(v) for v in by_index.values()}
    expected = dimension or next(iter(widths), 0)
    if widths and widths != {expected}:
        raise RetryableError(f"embeddings have {sorted(widths)} dimensions, expected {expected}")
    vectors = np.array([by_index[i] for i in range(count)], dtype=np.float64).reshape(count, expected)
    if not np.isfinite(vectors).all():
        raise RetryableError("response holds NaN or infinite values")
    return vectors


def _read_until(response, deadline: float) -> bytes:
    """The body, unless it takes past the deadline (a server trickling bytes defeats a socket
    timeout alone) or grows past MAX_RESPONSE_BYTES."""
    chunks, size = [], 0
    while chunk := response.read(65536):
        chunks.append(chunk)
        size += len(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError
        if size > MAX_RESPONSE_BYTES:
            raise RetryableError(f"response larger than {MAX_RESPONSE_BYTES} bytes")
    return b"".join(chunks)


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (either form the header allows), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _short(payload: bytes, limit: int = 200) -> str:
    text = payload.decode("utf-8", "replace")
    return repr(text if len(text) <= limit else text[:limit] + "…")
