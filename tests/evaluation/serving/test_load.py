"""The load generator's even spread of keep-alive connections over several worker processes."""

from __future__ import annotations

import asyncio
import json

from shopmind.evaluation.serving.load import balanced


def test_connections_are_spread_evenly_over_the_workers():
    async def run() -> tuple[list[int], int]:
        accepted = [0]

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # the first 6 connections all reach worker "a" (a burst one worker accepted), then they alternate
            k = accepted[0]
            accepted[0] += 1
            worker = "a" if k < 6 or k % 2 else "b"
            while await reader.readuntil(b"\r\n\r\n"):
                body = json.dumps({"online_state": {"worker": worker}}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool, spread = await balanced("127.0.0.1", port, 4, 2)
        for conn in pool:
            conn.close()
        server.close()
        return spread, len(pool)

    spread, n = asyncio.run(run())
    assert spread == [2, 2] and n == 4
