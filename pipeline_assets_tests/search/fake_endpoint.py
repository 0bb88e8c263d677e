"""A local OpenAI-compatible ``/v1/embeddings`` server that injects faults on request.

Each request takes the next fault from ``faults`` (none left: a correct answer). Vectors are
derived from each text's hash, so the same text always gets the same vector and different
texts different ones; they are deliberately not unit length (the client normalises).
"""

import hashlib
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

DIMENSION = 8


def fake_vector(text: str, dimension: int = DIMENSION) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    return (np.random.default_rng(seed).normal(size=dimension) * 3).tolist()


class FakeEmbeddingServer:
    def __init__(self, dimension: int = DIMENSION, stall_seconds: float = 2.0):
        self.dimension, self.stall_seconds = dimension, stall_seconds
        self.faults: deque[str] = deque()
        self.requests: list[dict] = []  # {"texts": [...], "authorization": ..., "fault": ...}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def texts_sent(self) -> list[str]:
        return [t for r in self.requests if r["fault"] is None for t in r["texts"]]

    def __enter__(self) -> "FakeEmbeddingServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fault = fake.faults.popleft() if fake.faults else None
                texts = body["input"]
                fake.requests.append(
                    {"texts": texts, "authorization": self.headers.get("Authorization"), "fault": fault}
                )
                if self.path != "/v1/embeddings":
                    return self._send(404, b'{"error": "not found"}')
                data = [
                    {"object": "embedding", "index": i, "embedding": fake_vector(t, fake.dimension)}
                    for i, t in enumerate(texts)
                ]
                if fault == "429":
                    return self._send(429, b'{"error": "slow down"}', {"Retry-After": "3"})
                if fault in ("500", "503"):
                    return self._send(int(fault), b"upstream trouble")
                if fault == "401":
                    return self._send(401, b'{"error": "invalid key ' + self.headers["Authorization"].encode() + b'"}')
                if fault == "stall":
                    time.sleep(fake.stall_seconds)
                if fault == "malformed":
                    return self._send(200, b'{"data": [{"index": 0, "embedd')
                if fault == "too_few":
                    data = data[:-1]
                if fault == "wrong_dimension":
                    data[0]["embedding"] = data[0]["embedding"][:-1]
                if fault == "strings":
                    data[0]["embedding"] = [str(x) for x in data[0]["embedding"]]
                if fault == "zeros":  # well-formed, but no direction: only the blocking check can tell
                    data[0]["embedding"] = [0.0] * fake.dimension
                if fault == "reversed":  # valid: the index, not the position, says which input
                    data = data[::-1]
                payload = {"object": "list", "data": data, "model": body["model"]}
                self._send(200, json.dumps(payload).encode())

            def _send(self, status, body, headers=None):
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a stall)
                    pass

        return Handler
