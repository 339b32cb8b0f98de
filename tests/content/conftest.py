"""Shared fixtures: one small generated demo catalog (tests never read ../shared), and a fake
OpenAI-compatible chat server on a real local socket."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pandas as pd
import pytest

from shopmind.content import ContentService, FactSheet, GroundingChecker, extract_facts
from shopmind.data.synth import generate_demo_shop


@pytest.fixture(scope="session")
def demo_items() -> pd.DataFrame:
    """About 100 items of the synthetic bilingual demo shop."""
    return generate_demo_shop(n_users=20, n_items=100, days=10, seed=11, items_only=True).items


@pytest.fixture(scope="session")
def now(demo_items: pd.DataFrame) -> pd.Timestamp:
    return demo_items["created_at"].max()


@pytest.fixture(scope="session")
def demo_facts(demo_items: pd.DataFrame, now: pd.Timestamp) -> list[FactSheet]:
    return [extract_facts(r, now=now) for r in demo_items.to_dict("records")]


@pytest.fixture(scope="session")
def checker(demo_items: pd.DataFrame) -> GroundingChecker:
    return GroundingChecker.from_items(demo_items)


@pytest.fixture()
def service(checker: GroundingChecker, now: pd.Timestamp) -> ContentService:
    return ContentService(checker=checker, now=now.to_pydatetime())


# ---------------------------------------------------------------------------------------------- fake LLM server
@dataclass
class Raw:
    """A reply that is not a normal completion: any status and body, optionally after a delay."""

    status: int = 200
    body: str = ""
    delay: float = 0.0


@dataclass
class ChatServer:
    """A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol with canned replies.

    ``replies`` are used in order (the last one repeats): a string is the completion text, a :class:`Raw` is
    sent as it is. Every request body lands in ``requests``.
    """

    port: int = 0
    replies: list[str | Raw] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    completion_tokens: int = 42  # reported in every reply's usage

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @staticmethod
    def raw(status: int = 200, body: str = "", delay: float = 0.0) -> Raw:
        """A reply sent as it is (tests get the class through the fixture)."""
        return Raw(status, body, delay)

    def reply(self, *replies: str | Raw) -> ChatServer:
        self.replies = list(replies)
        return self

    def next_reply(self) -> str | Raw:
        if not self.replies:
            return Raw(500, '{"error": "no canned reply"}')
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def prompts(self, role: str = "user") -> list[str]:
        """The ``role`` message of every request received, in order."""
        return [next(m["content"] for m in r["messages"] if m["role"] == role) for r in self.requests]


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.path != "/v1/chat/completions":
                self._send(404, '{"error": "not found"}')
                return
            doc = json.loads(body)
            server.requests.append(doc)
            reply = server.next_reply()
            if isinstance(reply, Raw):
                time.sleep(reply.delay)
                self._send(reply.status, reply.body)
                return
            self._send(200, json.dumps({
                "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "model": doc["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": sum(len(m["content"].split()) for m in doc["messages"]),
                          "completion_tokens": server.completion_tokens}}, ensure_ascii=False))

        def _send(self, status: int, body: str) -> None:
            data = body.encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture()
def llm_server() -> Iterator[ChatServer]:
    """A fresh fake chat server per test, on a free port."""
    state = ChatServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def dead_url() -> str:
    """A URL on a port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
