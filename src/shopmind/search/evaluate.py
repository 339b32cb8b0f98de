"""Graded-relevance evaluation of a retriever: nDCG@10, recall@100 and zero-result rate, per query kind.

A query file has one JSON object per line: ``{"query", "kind"?, "judgments": {item_id: grade}}`` with grades
0-3. Metrics:

- nDCG@10 with gain ``2^grade - 1`` against the ideal ordering of the judged grades;
- recall@100: share of the items graded >= 2 (>= 1 when none is) found in the first 100 results;
- zero-result rate: share of queries with no result at all;
- a query with no item graded above 0 asks for something the catalog does not have: it scores 1 on both
  metrics when the retriever returns nothing, else 0.

A line without ``kind`` is reported under ``by_kind["unlabelled"]``.

>>> ndcg_at({"a": 3, "b": 1}, ["b", "a"], 10) < 1.0, ndcg_at({"a": 3, "b": 1}, ["a", "b"], 10)
(True, 1.0)
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shopmind.errors import DataError


@dataclass(frozen=True)
class JudgedQuery:
    query: str
    kind: str
    judgments: dict[str, int]

    @property
    def answerable(self) -> bool:
        return any(g > 0 for g in self.judgments.values())


def read_queries(path: str | Path) -> list[JudgedQuery]:
    """Read a judged query file (see the module docs); bad lines raise :class:`DataError` naming the line."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise DataError("no such query file", source=str(p))
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            judgments = {str(k): int(v) for k, v in (row.get("judgments") or {}).items()}
            out.append(JudgedQuery(str(row["query"]), str(row.get("kind") or "unlabelled"), judgments))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DataError(f"expected {{'query', 'kind'?, 'judgments': {{item_id: grade}}}}: {exc}",
                            source=str(p), row=n) from None
    return out


def read_items(path: str | Path) -> pd.DataFrame:
    """An item file (JSON lines in the item schema, or CSV/Parquet with the same columns)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise DataError("no such item file", source=str(p))
    if p.suffix in (".jsonl", ".json", ".ndjson"):
        rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
        frame = pd.DataFrame(rows)
    elif p.suffix == ".parquet":
        frame = pd.read_parquet(p)
    else:
        frame = pd.read_csv(p, dtype={"item_id": str})
    if "item_id" not in frame.columns:
        raise DataError("an item file needs an 'item_id' column", source=str(p))
    frame["item_id"] = frame["item_id"].astype(str)
    return frame


def dcg(gains: Iterable[float]) -> float:
    return float(sum(g / math.log2(i + 2) for i, g in enumerate(gains)))


def ndcg_at(judgments: Mapping[str, int], ranked: Sequence[str], k: int = 10) -> float:
    ideal = dcg(sorted((2 ** g - 1 for g in judgments.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 1.0 if not ranked else 0.0
    return dcg(2 ** judgments.get(i, 0) - 1 for i in ranked[:k]) / ideal


def recall_at(judgments: Mapping[str, int], ranked: Sequence[str], k: int = 100) -> float:
    relevant = {i for i, g in judgments.items() if g >= 2} or {i for i, g in judgments.items() if g >= 1}
    if not relevant:
        return 1.0 if not ranked else 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"ndcg@10": round(float(np.mean([r["ndcg@10"] for r in rows])), 4),
            "recall@100": round(float(np.mean([r["recall@100"] for r in rows])), 4),
            "zero_result_rate": round(float(np.mean([r["zero"] for r in rows])), 4),
            "queries": len(rows)}


def evaluate(run: Callable[[str], Sequence[str]], queries: Sequence[JudgedQuery], *,
             per_query: bool = False) -> dict[str, Any]:
    """Metrics of ``run(query) -> ranked item ids`` over ``queries`` (see the module docs)."""
    rows = []
    for q in queries:
        ranked = list(run(q.query))[:100]
        rows.append({"query": q.query, "kind": q.kind, "ndcg@10": ndcg_at(q.judgments, ranked),
                     "recall@100": recall_at(q.judgments, ranked), "zero": not ranked, "results": len(ranked)})
    if not rows:
        raise DataError("the query file holds no queries")
    out = _summary(rows)
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        kinds[str(r["kind"])].append(r)
    out["by_kind"] = {k: _summary(v) for k, v in sorted(kinds.items())}
    if per_query:
        out["per_query"] = rows
    return out
