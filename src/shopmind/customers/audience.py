"""Audiences: a small, safe expression language over profiles (no ``eval``: a tokenizer, a recursive-descent
parser and vectorised evaluation over a frame).

Grammar::

    expr       := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expr ")" | comparison
    comparison := FIELD OP value | FIELD ["not"] "in" "(" value ("," value)* ")"
    OP         := "=" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "~" (contains) | "!~" (does not contain)
    value      := NUMBER | 'text' | "text" | bare-word (letters, digits, _ . : -)

Fields (:data:`FIELDS`): numbers (``clv_12m``, ``churn_risk``, ``recency_days`` ...) compare with numbers; texts
(``rfm``, ``stage``, ``attr.<name>``) with ``=``, ``~``, ``in``; lists (``segment``, ``interest.category``,
``interest.brand``, ``interest.price_band``, ``interest.attribute``, ``next_category``) match when ANY element
does (``!=`` and ``!~``: when none does). Text matching ignores case; ``rfm`` and ``stage`` values may be
written as labels ("At risk" is ``at_risk``). A missing value never matches a comparison. Keywords are
case-insensitive. Any other input is rejected with an :class:`AudienceError` naming the token and its position.

>>> import pandas as pd
>>> f = pd.DataFrame({"rfm": ["at_risk", "champions"], "clv_12m": [150.0, 90.0],
...                   "interest.category": [["Beauty > Skin Care > Serums"], []]})
>>> parse("rfm in (at_risk, cannot_lose) and clv_12m > 100 and interest.category ~ 'Skin Care'").mask(f).tolist()
[True, False]
>>> try:
...     parse("clv_12m >")
... except AudienceError as e:
...     print(e)
invalid audience expression at position 10: expected a value after '>', got the end of the expression
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shopmind.errors import ShopmindError

MAX_LENGTH = 2_000
MAX_DEPTH = 40

NUMBER_FIELDS = ("clv_12m", "p_alive", "churn_risk", "recency_days", "orders", "spend", "basket_size",
                 "orders_per_30d", "expected_purchases_12m", "rfm_r", "rfm_f", "rfm_m", "events")
TEXT_FIELDS = ("rfm", "stage", "user_id")
LIST_FIELDS = ("segment", "interest.category", "interest.brand", "interest.price_band", "interest.attribute",
               "next_category")
#: Every field an expression may name (plus ``attr.<name>`` for any user attribute).
FIELDS = NUMBER_FIELDS + TEXT_FIELDS + LIST_FIELDS
NORMALISED = ("rfm", "stage")


class AudienceError(ShopmindError, ValueError):
    """An expression that cannot be parsed or evaluated; ``token`` and ``position`` say where."""

    def __init__(self, message: str, token: str | None, position: int) -> None:
        super().__init__(f"invalid audience expression at position {position}: {message}")
        self.token, self.position = token, position


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op><=|>=|==|!=|!~|=|<|>|~)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<word>[A-Za-z_\u0080-\uffff][A-Za-z0-9_.:\-\u0080-\uffff]*)
""", re.VERBOSE)
_KEYWORDS = {"and", "or", "not", "in"}


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, op, lparen, rparen, comma, word, keyword, end
    text: str
    value: Any
    position: int


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` (positions are 1-based character offsets)."""
    if len(text) > MAX_LENGTH:
        raise AudienceError(f"the expression is longer than {MAX_LENGTH} characters", None, MAX_LENGTH)
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise AudienceError(f"unexpected character {text[pos]!r}", text[pos], pos + 1)
        kind = m.lastgroup or ""
        raw = m.group()
        if kind == "number":
            out.append(Token("number", raw, float(raw), pos + 1))
        elif kind == "string":
            out.append(Token("string", raw, re.sub(r"\\(.)", r"\1", raw[1:-1]), pos + 1))
        elif kind == "word":
            low = raw.lower()
            out.append(Token("keyword", raw, low, pos + 1) if low in _KEYWORDS else Token("word", raw, raw, pos + 1))
        elif kind != "ws":
            out.append(Token(kind, raw, raw, pos + 1))
        pos = m.end()
    out.append(Token("end", "", None, len(text) + 1))
    return out


# ---------------------------------------------------------------------------------------------- the tree
@dataclass(frozen=True)
class Comparison:
    field: str
    op: str  # = != < <= > >= ~ !~ in notin
    values: tuple[Any, ...]
    token: Token


@dataclass(frozen=True)
class BoolOp:
    op: str  # and, or, not
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Audience:
    """A parsed expression; :meth:`mask` evaluates it over a profile frame (:func:`audience_frame`)."""

    text: str
    tree: Any

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(_evaluate(self.tree, frame), dtype=bool)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, expected: str, after: Token | None = None) -> AudienceError:
        tok = self.peek()
        got = "the end of the expression" if tok.kind == "end" else f"{tok.text!r}"
        where = f" after {after.text!r}" if after is not None else ""
        return AudienceError(f"expected {expected}{where}, got {got}", tok.text or None, tok.position)

    def is_kw(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "keyword" and tok.value == word

    def expr(self) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise AudienceError(f"the expression nests deeper than {MAX_DEPTH} levels", self.peek().text,
                                self.peek().position)
        args = [self.term()]
        while self.is_kw("or"):
            self.take()
            args.append(self.term())
        self.depth -= 1
        return args[0] if len(args) == 1 else BoolOp("or", tuple(args))

    def term(self) -> Any:
        args = [self.factor()]
        while self.is_kw("and"):
            self.take()
            args.append(self.factor())
        return args[0] if len(args) == 1 else BoolOp("and", tuple(args))

    def factor(self) -> Any:
        if self.is_kw("not"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise AudienceError(f"the expression nests deeper than {MAX_DEPTH} levels", "not",
                                    self.peek().position)
            inner = self.factor()
            self.depth -= 1
            return BoolOp("not", (inner,))
        if self.peek().kind == "lparen":
            self.take()
            inner = self.expr()
            if self.peek().kind != "rparen":
                raise self.fail("')'")
            self.take()
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        tok = self.peek()
        if tok.kind != "word":
            raise self.fail("a field name (e.g. rfm, clv_12m, interest.category)")
        self.take()
        name = tok.text.lower() if not tok.text.lower().startswith("attr.") else "attr." + tok.text[5:]
        if name not in FIELDS and not (name.startswith("attr.") and len(name) > 5):
            raise AudienceError(f"unknown field {tok.text!r}; fields are {', '.join(FIELDS)} and attr.<name>",
                                tok.text, tok.position)
        negate = False
        if self.is_kw("not"):
            self.take()
            negate = True
            if not self.is_kw("in"):
                raise self.fail("'in'", tok)
        if self.is_kw("in"):
            op_tok = self.take()
            if self.peek().kind != "lparen":
                raise self.fail("'(' starting a list of values", op_tok)
            self.take()
            values = [self.value(op_tok)]
            while self.peek().kind == "comma":
                comma = self.take()
                values.append(self.value(comma))
            if self.peek().kind != "rparen":
                raise self.fail("',' or ')'")
            self.take()
            comp = Comparison(name, "notin" if negate else "in", tuple(values), tok)
        else:
            if self.peek().kind != "op":
                raise self.fail("an operator (= != < <= > >= ~ !~ in)", tok)
            op_tok = self.take()
            op = "=" if op_tok.text == "==" else op_tok.text
            comp = Comparison(name, op, (self.value(op_tok),), tok)
        _check_types(comp)
        return comp

    def value(self, after: Token) -> Any:
        tok = self.peek()
        if tok.kind not in ("number", "string", "word"):
            raise self.fail("a value", after)
        self.take()
        return tok.value


def _check_types(c: Comparison) -> None:
    numeric = c.field in NUMBER_FIELDS
    if numeric and c.op in ("~", "!~"):
        raise AudienceError(f"'{c.op}' (contains) needs a text field; {c.field!r} is a number", c.token.text,
                            c.token.position)
    if numeric and any(not isinstance(v, float) for v in c.values):
        bad = next(v for v in c.values if not isinstance(v, float))
        raise AudienceError(f"{c.field!r} is a number; {bad!r} is not", c.token.text, c.token.position)
    if not numeric and c.op in ("<", "<=", ">", ">="):
        raise AudienceError(f"'{c.op}' compares numbers; {c.field!r} is text", c.token.text, c.token.position)


def parse(text: str) -> Audience:
    """Parse an audience expression (raises :class:`AudienceError`)."""
    if not str(text).strip():
        raise AudienceError("the expression is empty", None, 1)
    p = _Parser(str(text))
    tree = p.expr()
    if p.peek().kind != "end":
        tok = p.peek()
        raise AudienceError(f"unexpected {tok.text!r} (join conditions with 'and' / 'or')", tok.text, tok.position)
    return Audience(str(text), tree)


# ---------------------------------------------------------------------------------------------- evaluation
def _norm(field: str, v: Any) -> str:
    s = str(v).strip().lower()
    if isinstance(v, float) and v.is_integer():
        s = str(int(v))
    return s.replace(" ", "_") if field in NORMALISED else s


_COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge}


def _evaluate(node: Any, frame: pd.DataFrame) -> np.ndarray:
    if isinstance(node, BoolOp):
        parts = [_evaluate(a, frame) for a in node.args]
        if node.op == "not":
            return ~parts[0]
        out = parts[0].copy()
        for p in parts[1:]:
            out = (out & p) if node.op == "and" else (out | p)
        return out
    c: Comparison = node
    n = len(frame)
    if c.field not in frame.columns:
        return np.zeros(n, dtype=bool) if c.op not in ("!=", "!~", "notin") else np.ones(n, dtype=bool)
    col = frame[c.field]
    if c.field in NUMBER_FIELDS:
        x = pd.to_numeric(col, errors="coerce").to_numpy(np.float64)
        ok = np.isfinite(x)
        v = np.asarray(c.values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            if c.op == "in":
                res = np.isin(x, v)
            elif c.op == "notin":
                res = ~np.isin(x, v)
            else:
                res = _COMPARE[c.op](x, v[0])
        return np.asarray(res & ok, dtype=bool)
    wanted = [_norm(c.field, v) for v in c.values]
    if c.field in LIST_FIELDS:
        items = [[_norm(c.field, e) for e in (lst if isinstance(lst, list | tuple) else [])] for lst in col.tolist()]
        return np.array([_match_any(c.op, lst, wanted) for lst in items], dtype=bool)
    values = [None if v is None or (isinstance(v, float) and np.isnan(v)) else _norm(c.field, v) for v in col]
    return np.array([v is not None and _match_any(c.op, [v], wanted) for v in values], dtype=bool)


def _match_any(op: str, elements: list[str], wanted: list[str]) -> bool:
    if op == "=":
        return wanted[0] in elements
    if op == "!=":
        return wanted[0] not in elements
    if op == "~":
        return any(wanted[0] in e for e in elements)
    if op == "!~":
        return not any(wanted[0] in e for e in elements)
    if op == "in":
        return any(e in wanted for e in elements)
    return not any(e in wanted for e in elements)  # notin


def audience_frame(profiles: pd.DataFrame) -> pd.DataFrame:
    """The flat frame expressions run on, from a store's ``profiles_frame()`` (one row per user)."""
    rows = []
    for user, p in zip(profiles["user_id"].tolist(), profiles["profile"].tolist(), strict=True):
        buys, value = p.get("purchases") or {}, p.get("value") or {}
        rfm, churn, interests = p.get("rfm") or {}, p.get("churn") or {}, p.get("interests") or {}
        row = {"user_id": user, "stage": p.get("stage"), "rfm": rfm.get("group"), "rfm_r": rfm.get("r"),
               "rfm_f": rfm.get("f"), "rfm_m": rfm.get("m"), "clv_12m": value.get("clv_12m"),
               "p_alive": value.get("p_alive"), "expected_purchases_12m": value.get("expected_purchases_12m"),
               "churn_risk": churn.get("risk"), "recency_days": buys.get("recency_days"),
               "orders": buys.get("orders"), "spend": buys.get("spend"), "basket_size": buys.get("basket_size"),
               "orders_per_30d": buys.get("orders_per_30d"), "events": (p.get("activity") or {}).get("events"),
               "segment": p.get("segments") or [],
               "next_category": [c["category"] for c in p.get("next_categories") or []]}
        for kind in ("category", "brand", "price_band", "attribute"):
            row[f"interest.{kind}"] = list(interests.get(kind) or {})
        for k, v in (p.get("attributes") or {}).items():
            row[f"attr.{k}"] = v
        rows.append(row)
    return pd.DataFrame(rows, columns=None if rows else ["user_id", *FIELDS])


def select(profiles: pd.DataFrame, where: str) -> list[str]:
    """The user ids whose profile matches ``where`` (sorted)."""
    audience = parse(where)
    frame = audience_frame(profiles)
    if frame.empty:
        return []
    return sorted(frame.loc[audience.mask(frame), "user_id"].astype(str).tolist())
