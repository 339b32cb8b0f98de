"""Where a served request's CPU goes: the pipeline alone, and the whole app without a server or a socket.

On a bench-serve shop (``--work-dir`` of ``shopmind bench-serve``), one process, in-process state:

    PYTHONPATH=src python scripts/request_cpu.py --shop /tmp/wk-100k             # both layers
    SHOPMIND_PIPELINE_CANDIDATE_CACHE=0 PYTHONPATH=src python scripts/request_cpu.py --shop /tmp/wk-100k

``pipeline`` times ``RecommendationService.recommend``; ``app`` calls the ASGI app the server runs
(``shopmind.cli.serve.build_app``) with a ``GET /recommendations/{user}?n=10`` scope, so routing, middleware, the
experiment router and the JSON response are counted, uvicorn, the event loop's I/O and the kernel are not.
The same draws of users are repeated (``--passes``), so later passes show a warm candidate cache; compare
with ``bench-serve``'s server CPU per request over loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shop", type=Path, required=True, help="a bench-serve work dir (shop-built.json)")
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.environ.setdefault("SHOPMIND_HOME", str(args.shop / "home"))
    os.environ["SHOPMIND_API_KEYS"] = ""
    from shopmind.cli.serve import build_app, limit_blas  # lazy: after SHOPMIND_HOME is set

    shop = json.loads((args.shop / "shop-built.json").read_text())
    app = build_app(store=shop["store"], model=shop["model"], ranker=(shop.get("ranker") or {}).get("path"),
                    search_encoder="none")
    limit_blas(app)  # one BLAS thread, as `shopmind serve` runs: BLAS threads would be counted as request CPU
    service = app.state.service
    users = shop["user_ids"]
    picks = [users[i] for i in np.random.default_rng(args.seed).choice(len(users), args.requests)]

    async def call(path: str, query: bytes) -> int:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
                 "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return int(sent[0]["status"])

    async def run() -> dict[str, Any]:
        out: dict[str, Any] = {"requests": args.requests, "candidate_cache": service.config.candidate_cache}
        async with app.router.lifespan_context(app):
            for layer in ("pipeline", "app"):
                per_pass = []
                for _ in range(args.passes):
                    t0 = time.process_time()
                    for u in picks:
                        if layer == "pipeline":
                            service.recommend(u, 10, 0)
                        elif await call(f"/recommendations/{u}", b"n=10") != 200:
                            raise SystemExit(f"GET /recommendations/{u} failed")
                    per_pass.append(round((time.process_time() - t0) / len(picks) * 1000, 3))
                out[f"{layer}_cpu_ms_per_request_by_pass"] = per_pass
            t0 = time.process_time()
            for _ in picks:
                await call("/health", b"")
            out["health_cpu_ms_per_request"] = round((time.process_time() - t0) / len(picks) * 1000, 3)
        return out

    print(json.dumps(asyncio.run(run()), indent=1))


if __name__ == "__main__":
    main()
