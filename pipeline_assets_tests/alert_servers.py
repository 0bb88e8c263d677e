"""Local servers that receive alerts: a real SMTP server (aiosmtpd) and a small stand-in for
Slack's Web API that answers `chat.postMessage` as Slack does, both on 127.0.0.1."""

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server accepted: parsed messages and their envelope recipients."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(login: tuple[str, str] | None = None) -> Iterator[Inbox]:
    """An SMTP server without TLS; with ``login``, it requires AUTH with exactly that pair."""
    inbox = Inbox(port=free_port())
    options = {}
    if login is not None:

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and (auth_data.login.decode(), auth_data.password.decode()) == login
            )
            return AuthResult(success=ok, handled=False)  # False: the server sends the 535 reply

        options = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **options)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class SlackRequest:
    path: str
    authorization: str
    body: dict


@dataclass
class FakeSlack:
    requests: list[SlackRequest]
    api_url: str


@contextmanager
def fake_slack_api() -> Iterator[FakeSlack]:
    """Answers every POST under /api/ with ``{"ok": true}`` and records it."""
    requests: list[SlackRequest] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.loads(raw) if "json" in self.headers.get("Content-Type", "") else {"raw": raw.decode()}
            requests.append(SlackRequest(self.path, self.headers.get("Authorization", ""), body))
            answer = json.dumps({"ok": True, "channel": body.get("channel"), "ts": "1700000000.000100"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeSlack(requests, f"http://127.0.0.1:{server.server_port}/api/")
    finally:
        server.shutdown()
        server.server_close()
