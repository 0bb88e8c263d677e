"""The HTTP embedding backend against a local fake endpoint that injects faults."""

import numpy as np
import pytest

from pipeline_assets.search.embedders import EmbeddingError, vector_problems
from pipeline_assets.search.http_embedder import HttpEmbedder, RetryableError, parse_embeddings
from pipeline_assets_tests.search.fake_endpoint import DIMENSION, FakeEmbeddingServer, fake_vector

TEXTS = ["running shoes", "coffee maker", "yoga mat"]
KEY = "sk-test-secret-123"


def _expected(texts):
    vectors = np.array([fake_vector(t) for t in texts])
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


# -- response validation, no server --
def _document(count, dimension=DIMENSION):
    return {"data": [{"index": i, "embedding": [0.5] * dimension} for i in range(count)]}


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ({"nodata": []}, "no 'data' list"),
        (_document(2), "2 embeddings for 3 inputs"),
        ({"data": [{"index": 0, "embedding": [1.0] * 8}] * 3}, "repeated"),
        ({"data": [{"index": i, "embedding": [True] * 8} for i in range(3)]}, "not a list of numbers"),
        ({"data": [{"index": i, "embedding": [1.0] * (8 - i)} for i in range(3)]}, "dimensions"),
        ({"data": [{"index": i, "embedding": [float("nan")] * 8} for i in range(3)]}, "NaN"),
    ],
)
def test_a_response_of_the_wrong_shape_is_refused(document, error):
    with pytest.raises(RetryableError, match=error):
        parse_embeddings(document, 3, DIMENSION)


def test_vectors_come_back_in_input_order_whatever_the_response_order():
    document = {"data": [{"index": 1, "embedding": [0.0, 1.0]}, {"index": 0, "embedding": [1.0, 0.0]}]}
    assert parse_embeddings(document, 2, 2).tolist() == [[1.0, 0.0], [0.0, 1.0]]


# -- against the fake endpoint --
@pytest.fixture
def server():
    with FakeEmbeddingServer(stall_seconds=1.5) as fake:
        yield fake


def _client(server, waits=None, **options):
    defaults = {"timeout_seconds": 0.5, "max_retries": 4, "api_key": KEY}
    return HttpEmbedder(
        server.url,
        "fake-model",
        DIMENSION,
        sleep=(waits if waits is not None else []).append,
        **{**defaults, **options},
    )


@pytest.mark.integration
def test_batches_are_sent_and_normalised_with_the_key_as_bearer_token(server):
    vectors = _client(server, batch_size=2).embed(TEXTS)
    assert [r["texts"] for r in server.requests] == [TEXTS[:2], TEXTS[2:]]
    assert {r["authorization"] for r in server.requests} == {f"Bearer {KEY}"}
    assert np.allclose(vectors, _expected(TEXTS), atol=1e-6)
    assert vector_problems(vectors, 3, DIMENSION) == []


@pytest.mark.integration
@pytest.mark.parametrize("fault", ["500", "503", "stall", "malformed", "too_few", "wrong_dimension", "strings"])
def test_a_transient_fault_is_retried_with_backoff(server, fault):
    server.faults.extend([fault, fault])
    waits = []
    vectors = _client(server, waits).embed(TEXTS)
    assert len(server.requests) == 3 and np.allclose(vectors, _expected(TEXTS), atol=1e-6)
    # Full jitter under an exponential ceiling (0.5 s, then 1 s).
    assert len(waits) == 2 and 0 <= waits[0] <= 0.5 and 0 <= waits[1] <= 1.0


@pytest.mark.integration
def test_429_waits_as_long_as_retry_after_says(server):
    server.faults.append("429")
    waits = []
    _client(server, waits).embed(TEXTS)
    assert len(waits) == 1 and 3.0 <= waits[0] <= 3.1


@pytest.mark.integration
def test_reordered_response_is_put_back_in_input_order(server):
    server.faults.append("reversed")
    assert np.allclose(_client(server).embed(TEXTS), _expected(TEXTS), atol=1e-6)


@pytest.mark.integration
def test_it_gives_up_after_max_retries_naming_the_last_fault(server):
    server.faults.extend(["503"] * 3)
    with pytest.raises(EmbeddingError, match="gave up after 3 attempts; last: HTTP 503"):
        _client(server, max_retries=2).embed(TEXTS)


@pytest.mark.integration
def test_a_client_error_fails_at_once_without_the_key(server):
    server.faults.append("401")
    with pytest.raises(EmbeddingError) as raised:
        _client(server).embed(TEXTS)
    assert len(server.requests) == 1
    assert "HTTP 401" in str(raised.value) and KEY not in str(raised.value)


@pytest.mark.integration
def test_an_unreachable_endpoint_is_retried_then_named():
    with FakeEmbeddingServer() as fake:
        url = fake.url
    embedder = HttpEmbedder(url, "m", DIMENSION, timeout_seconds=0.5, max_retries=1, sleep=lambda s: None)
    with pytest.raises(EmbeddingError, match="connection failed"):
        embedder.embed(TEXTS)
