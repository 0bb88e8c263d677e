"""A fault-injecting HTTP proxy on 127.0.0.1, in front of one local store server.

Clients use the proxy's address as the store's endpoint. Each request is forwarded to the server
and its answer relayed, unless a fault is armed: then the next ``count`` requests (optionally only
those whose method and path match) get that fault instead, and later ones pass again. Faults:

- ``reset``: the connection is closed without an answer (a reset connection);
- ``503``: ``503 Service Unavailable`` with S3's ``SlowDown`` body (throttling; GCS and Azure
  clients go by the status);
- ``500``: ``500 Internal Server Error``;
- ``stall``: the request is held ``stall_seconds`` before it is forwarded;
- ``truncate``: the server's answer is relayed with its body cut in half (a truncated body).
"""

import http.client
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pipeline_assets_tests.cloud_servers import HOST

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
SLOW_DOWN = b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>'


@dataclass
class Fault:
    kind: str  # reset | 503 | 500 | stall | truncate
    count: int  # requests still to fault; -1: every request until disarmed
    matching: re.Pattern = field(default_factory=lambda: re.compile(""))  # "METHOD /path?query[ copy]"
    stall_seconds: float = 2.0


class FaultProxy:
    def __init__(self, upstream_port: int, rewrite_host: bool = False):
        self.upstream_port = upstream_port
        # fake-gcs-server routes by the Host header (its -public-host): requests must name it.
        self.upstream_host = f"{HOST}:{upstream_port}" if rewrite_host else None
        self.faults_served = 0
        self.requests: list[str] = []  # every request line seen, for choosing what to match
        self._fault: Fault | None = None
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_request(self) -> None:
                proxy._handle(self)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_request  # noqa: N815

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def arm(self, kind: str, count: int = 1, matching: str = "", stall_seconds: float = 2.0) -> None:
        with self._lock:
            self._fault = Fault(kind, count, re.compile(matching), stall_seconds)

    def disarm(self) -> None:
        with self._lock:
            self._fault = None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _take_fault(self, request_line: str) -> Fault | None:
        with self._lock:
            fault = self._fault
            if fault is None or fault.count == 0 or not fault.matching.search(request_line):
                return None
            if fault.count > 0:
                fault.count -= 1
            self.faults_served += 1
            return fault

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        # A server-side copy (how S3 and Azure publish) is a PUT with a copy-source header.
        copied = handler.headers.get("x-amz-copy-source") or handler.headers.get("x-ms-copy-source")
        request_line = f"{handler.command} {handler.path}{' copy' if copied else ''}"
        self.requests.append(request_line)
        fault = self._take_fault(request_line)
        if fault is not None and fault.kind == "reset":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind in ("503", "500"):
            payload = SLOW_DOWN if fault.kind == "503" else b"<Error><Code>InternalError</Code></Error>"
            handler.send_response(int(fault.kind))
            handler.send_header("Content-Type", "application/xml")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        if fault is not None and fault.kind == "stall":
            time.sleep(fault.stall_seconds)
        upstream = http.client.HTTPConnection(HOST, self.upstream_port, timeout=60)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
            if self.upstream_host:
                headers = {k: v for k, v in headers.items() if k.lower() != "host"}
                headers["Host"] = self.upstream_host
            upstream.request(handler.command, handler.path, body=body, headers=headers)
            answer = upstream.getresponse()
            payload = answer.read()
        finally:
            upstream.close()
        handler.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                handler.send_header(key, value)
        # A HEAD answer has no body but tells the object's size: relay the server's length.
        length = answer.getheader("Content-Length", "0") if handler.command == "HEAD" else str(len(payload))
        handler.send_header("Content-Length", length)
        handler.end_headers()
        if handler.command == "HEAD":
            return
        if fault is not None and fault.kind == "truncate" and payload:
            handler.wfile.write(payload[: len(payload) // 2])
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        handler.wfile.write(payload)
