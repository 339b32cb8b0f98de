"""The assistant's benchmark: scripted multi-turn tasks, judged by constraints on the items of the last reply.

A task line is ``{"id", "lang", "turns": [...], "expect": {...}}`` with expectations

- ``leaf``: every item's category ends with this leaf;
- ``price_max``: every item costs at most this; ``brand``: every item is of this brand;
- ``not_colour``: no item has this colour (in its title or colour attribute, either language);
- ``gender``: no item is made for the other gender ("Women's" vs "Men's", 女款 vs 男款);
- ``cheaper``: every item costs less than the dearest item of the reply before;
- ``clarified``: the first reply asked a clarifying question instead of listing items.

A task succeeds when the last reply shows at least one item and meets every expectation. Every reply is also
audited by the grounding checker against the items it shows: the count of unsupported claims must be 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shopmind.assist.chat import ShoppingAssistant
from shopmind.content.lexicon import lexicon
from shopmind.errors import DataError
from shopmind.search.documents import attributes_of

_GENDER = {"women": ("women's", "女款"), "men": ("men's", "男款")}


def read_dialogues(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path).expanduser()
    if not p.is_file():
        raise DataError("no such dialogue file", source=str(p))
    try:
        return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    except ValueError as exc:
        raise DataError(f"not JSON lines: {exc}", source=str(p)) from None


def _text(item: Mapping[str, Any]) -> str:
    attrs = attributes_of(item)
    return " ".join(str(v) for v in (item.get("title"), attrs.get("title_zh"), attrs.get("colour"),
                                     attrs.get("colour_zh")) if v).lower()


def failures(expect: Mapping[str, Any], items: Sequence[Mapping[str, Any]], before: Sequence[float],
             first_action: str) -> list[str]:
    """What the last reply's items get wrong (empty: the task succeeded)."""
    bad = []
    if not items:
        return ["no items"]
    if expect.get("clarified") and first_action != "clarify":
        bad.append("did not ask a clarifying question")
    colour = lexicon().terms["colour"].get(expect.get("not_colour", ""))
    colour_words = [w.lower() for w in (*colour.en, *colour.zh)] if colour else []
    for it in items:
        iid = it.get("item_id")
        if expect.get("leaf") and not str(it.get("category") or "").endswith(expect["leaf"]):
            bad.append(f"{iid}: category {it.get('category')!r}")
        price = it.get("price")
        if expect.get("price_max") is not None and (price is None or float(price) > float(expect["price_max"])):
            bad.append(f"{iid}: price {price}")
        if expect.get("brand") and str(it.get("brand") or "").lower() != str(expect["brand"]).lower():
            bad.append(f"{iid}: brand {it.get('brand')!r}")
        text = _text(it)
        if colour_words and any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", text) for w in colour_words):
            bad.append(f"{iid}: colour {expect['not_colour']}")
        if expect.get("gender"):
            other = _GENDER["men" if expect["gender"] == "women" else "women"]
            if any(re.search(rf"(?<![a-z]){re.escape(w)}", text) for w in other):
                bad.append(f"{iid}: made for the other gender")
        if expect.get("cheaper") and before and (price is None or float(price) >= max(before)):
            bad.append(f"{iid}: not cheaper ({price} vs {max(before)})")
    return bad


def evaluate_dialogues(bot: ShoppingAssistant, tasks: Sequence[Mapping[str, Any]], *, per_task: bool = False
                       ) -> dict[str, Any]:
    """Success rate (overall and per language) and unsupported claims over every reply."""
    rows = []
    unsupported = 0
    replies = 0
    for task in tasks:
        session = f"bench-{task['id']}"
        before: list[float] = []
        last: dict[str, Any] = {}
        first_action = ""
        for i, turn in enumerate(task["turns"]):
            if last.get("items"):
                before = [float(x["price"]) for x in last["items"] if x.get("price") is not None]
            last = bot.chat(session, turn)
            first_action = first_action or last["action"]
            replies += 1
            unsupported += bot.check_reply(last["reply"], [x["item_id"] for x in last["items"]])
            if i == 0:
                first_action = last["action"]
        items = [bot.search.engine.item(x["item_id"]) or x for x in last.get("items", [])]
        bad = failures(task["expect"], items, before, first_action)
        rows.append({"id": task["id"], "lang": task.get("lang"), "ok": not bad, "failures": bad,
                     "last_reply": last.get("reply")})
    out: dict[str, Any] = {"tasks": len(rows), "success_rate": round(sum(r["ok"] for r in rows) / max(len(rows), 1), 4),
                           "replies": replies, "unsupported_claims": unsupported, "by_lang": {}}
    for lang in sorted({str(r["lang"]) for r in rows}):
        part = [r for r in rows if str(r["lang"]) == lang]
        out["by_lang"][lang] = {"tasks": len(part), "success_rate": round(sum(r["ok"] for r in part) / len(part), 4)}
    if per_task:
        out["per_task"] = rows
    return out
