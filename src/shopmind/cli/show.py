"""Printing recommendations in the terminal: a user's recent history, the top items and why each was chosen."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from shopmind.data.interactions import Interactions
from shopmind.errors import ShopmindError, UnknownIdError
from shopmind.models import Recommender


def _label(meta: pd.DataFrame | None, idx: int, raw: str) -> str:
    if meta is None or idx not in meta.index:
        return raw
    row = meta.loc[idx]
    title = row.get("title") if hasattr(row, "get") else None
    zh = None
    attrs = row.get("attributes") if hasattr(row, "get") else None
    if isinstance(attrs, dict):
        zh = attrs.get("title_zh")
    text = str(title) if isinstance(title, str) and title else raw
    if zh:
        text += f" / {zh}"
    return f"{raw}  {text}"[:90]


def print_user_recommendations(console: Console, model: Any, data: Interactions, users: Sequence[int],
                               n: int = 5) -> None:
    """Print each user's recent history and top-``n`` recommendations with the reason for each."""
    meta = data.item_meta
    for u in users:
        hist = data.history(u)
        t = Table("#", "item", "score", "why", title=f"user {data.users.raw(u)} "
                  f"({len(hist)} interactions; recent: {', '.join(data.items.raws(hist[-3:]))})")
        ids, scores = model.recommend(u, N=n)
        for rank, (i, s) in enumerate(zip(ids, scores, strict=True), 1):
            if i < 0:
                continue
            why = _why(model, data, u, int(i))
            t.add_row(str(rank), _label(meta, int(i), data.items.raw(i)), f"{s:.3f}", why)
        console.print(t)


def _why(model: Any, data: Interactions, user: int, item: int) -> str:
    try:
        ex = model.explain(user, item)
    except ShopmindError:
        return ""
    if not ex:
        return ""
    for part in (ex.get("components") or {}).values():  # a blend: use the first part that can say why
        sub = part.get("explanation") or {}
        if sub.get("because_of") or sub.get("because"):
            ex = sub
            break
    because = ex.get("because_of") or ex.get("because")
    if because:
        first = because[0][0] if isinstance(because[0], list | tuple) else because[0]
        try:
            return f"because you interacted with {data.items.raw(int(first))}"
        except (ValueError, TypeError, IndexError):
            return str(ex.get("reason", ""))
    return str(ex.get("reason", ""))


def show_recommendations(console: Console, path: Path, users: Sequence[str], n: int) -> None:
    """`shopmind recommend`: load a model artifact and print recommendations for raw user ids."""
    if not (path / "meta.json").exists():
        raise ShopmindError(f"no trained model at {path}: run `shopmind train MODEL` first (or pass --model PATH)")
    model = Recommender.load(path)
    for raw in users:
        try:
            u = model.users_.index(raw)
        except UnknownIdError:
            raise ShopmindError(f"user {raw!r} is not known to the model at {path} "
                                f"({len(model.users_):,} users; e.g. {model.users_.raw(0)!r})") from None
        ids, scores = model.recommend(u, N=n)
        t = Table("#", "item", "score", title=f"recommendations for {raw} ({model.name})")
        for rank, (i, s) in enumerate(zip(ids, scores, strict=True), 1):
            if i >= 0:
                t.add_row(str(rank), model.items_.raw(i), f"{s:.4f}")
        console.print(t)
