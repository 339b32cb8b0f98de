"""Running the API in this process: a free loopback port and a uvicorn server on a background thread
(the demo's live tour, the client tests). ``shopmind serve`` runs uvicorn in the foreground instead.

>>> with ThreadedServer(app) as server:                                  # doctest: +SKIP
...     ShopmindClient(server.url).health()
{'status': 'ok'}
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from shopmind.errors import ShopmindError


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadedServer:
    """``app`` served by uvicorn on ``127.0.0.1:port`` (a free port by default) from a daemon thread."""

    def __init__(self, app: FastAPI, port: int | None = None, start_timeout: float = 30.0) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start_timeout = start_timeout
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True, name=f"api-{self.port}")

    def start(self) -> ThreadedServer:
        """Start serving; returns once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ShopmindError(f"the API server on port {self.port} did not start within "
                                    f"{self.start_timeout:.0f} s")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
