"""Shopping sessions and the behaviour events they leave behind.

A session has an entry (home feed, category page, search, or a product page opened from a link) and a
*focal leaf* drawn from the shopper's taste at that moment (drifted, and scaled by the season). It shows
slates of items (impressions); the shopper views items whose appeal is high, then clicks, favourites, adds
to cart; a cart page shows complements of the first carted item (phone -> case); checkout turns carts into
purchases. Later passes add returns to abandoned carts, repeat purchases of consumables and ratings.

Appeal of item i to shopper u at time t (the ground truth every model tries to recover)::

    a = 1.0 log(L * taste_t[u, leaf_i]) + 0.7 brand[u, brand_i] - 0.9 (rel_price_i - price_level_u)^2 / 0.4
        + 0.45 quality_i + 0.25 log(exposure_i) + 0.5 log(season_t[leaf_i]) + noise

Everything is vectorised over sessions and slots; Python loops only write search queries and contexts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from shopmind.data.synth.calendar import DAY, Calendar
from shopmind.data.synth.catalog import Catalog, Taxonomy, soft_lower
from shopmind.data.synth.eventlog import (
    BUY,
    CART,
    CLICK,
    FAV,
    IMP,
    P_CART,
    P_CATEGORY,
    P_HOME,
    P_PRODUCT,
    P_SEARCH,
    RATE,
    SEARCH,
    VIEW,
    EventLog,
)
from shopmind.data.synth.population import NEVER, Population
from shopmind.data.synth.sampling import GroupSampler, exclusive_cumsum, rank_within, runs
from shopmind.data.synth.vocab import BRANDS, LEAVES

# session entries and slate kinds
E_HOME, E_CATEGORY, E_SEARCH, E_PRODUCT = range(4)
ENTRY_P = (0.35, 0.30, 0.25, 0.10)
K_FOCAL, K_RELATED, K_PERSONAL, K_TRENDING, K_NEW, K_LANDING, K_SIMILAR, K_COMPLEMENT = range(8)
SLATE_SIZE = np.array([8, 8, 6, 6, 6, 1, 6, 4])
HAS_REC = np.array([False, False, True, True, True, False, True, True])  # slates filled by a recommender

# funnel intercepts (logits), tuned for CTR of a few %, cart ~10-20 % of views, purchase ~30-50 % of carts
C_VIEW, C_CLICK, C_FAV, C_CART, C_BUY = -3.5, -1.2, -3.6, -2.9, -1.9


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return cast("np.ndarray", 1.0 / (1.0 + np.exp(-x)))


@dataclass
class _Slots:
    """Impression slots in (session, slate, position) order."""

    session: np.ndarray
    slate: np.ndarray  # global slate id (also the recommendation id where the slate has one)
    kind: np.ndarray
    pos: np.ndarray
    item: np.ndarray
    page: np.ndarray

    def take(self, mask: np.ndarray) -> _Slots:
        return _Slots(*(getattr(self, f)[mask] for f in ("session", "slate", "kind", "pos", "item", "page")))


class Simulator:
    """Runs the sessions of a :class:`Population` over a :class:`Catalog` (one seeded generator)."""

    def __init__(self, cat: Catalog, pop: Population, tax: Taxonomy, cal: Calendar,
                 rng: np.random.Generator) -> None:
        self.cat, self.pop, self.tax, self.cal, self.rng = cat, pop, tax, cal, rng
        n_items, nb = len(cat.leaf), tax.n_brands
        self.by_leaf = GroupSampler(cat.leaf, tax.n_leaves, cat.exposure)
        self.by_leaf_brand = GroupSampler(cat.leaf * nb + cat.brand, tax.n_leaves * nb, cat.exposure)
        self.trending = GroupSampler(np.zeros(n_items, np.int64), 1, cat.exposure ** 1.3)
        self.by_created = np.argsort(cat.created, kind="stable")
        self.created_sorted = cat.created[self.by_created]
        self.log = EventLog()
        # session table (grows as later passes add sessions)
        self.s_user: list[np.ndarray] = []
        self.s_device: list[np.ndarray] = []
        self.n_sessions = 0
        self.n_slates = 0
        self.queries: dict[int, str] = {}

    # ------------------------------------------------------------------ sessions
    def _add_sessions(self, user: np.ndarray, device: np.ndarray | None = None) -> np.ndarray:
        """Register new sessions of ``user`` (on their usual device unless given); returns their ids."""
        if device is None:
            device = self.pop.device[user]
        ids = self.n_sessions + np.arange(len(user))
        self.s_user.append(user)
        self.s_device.append(device)
        self.n_sessions += len(user)
        return ids

    def _taste(self, user: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Weight of the new interest at time ``t`` (a smooth switch over a few days; 0 without drift)."""
        at = self.pop.drift_at[user]
        z = np.where(at == NEVER, -50.0, np.clip((t - at) / (2 * DAY), -50.0, 50.0))
        return _sigmoid(z)

    def _day(self, t: np.ndarray) -> np.ndarray:
        return cast("np.ndarray", np.clip((t - self.cal.start_s) // DAY, 0, self.cal.days - 1))

    def _leaf_weights(self, user: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``[n, L]`` taste at time t scaled by seasonal demand (unnormalised)."""
        w = self._taste(user, t)[:, None]
        pref = (1 - w) * self.pop.leaf_pref[user] + w * self.pop.leaf_pref_new[user]
        return cast("np.ndarray", pref * self.cal.season[self._day(t)][:, self.tax.leaf_season])

    def _categorical(self, weights: np.ndarray) -> np.ndarray:
        cdf = np.cumsum(weights, axis=1)
        u = self.rng.random(len(weights))[:, None] * cdf[:, -1:]
        return cast("np.ndarray", np.minimum((cdf < u).sum(axis=1), weights.shape[1] - 1))

    def plan_sessions(self) -> dict[str, np.ndarray]:
        """Main sessions: how many per shopper (heavy-tailed), when, entry, focal leaf and brand."""
        pop, cal, rng = self.pop, self.cal, self.rng
        n_users = len(pop.activity)
        first_s = np.maximum(pop.created + 60, cal.start_s)
        frac = np.clip((cal.end_s - first_s) / (cal.days * DAY), 0.0, 1.0)
        n_s = np.maximum(1, rng.poisson(pop.activity * frac * cal.days / 90))
        user = np.repeat(np.arange(n_users), n_s)
        hours = len(cal.hour_cdf) - 1
        first_h = np.clip((first_s[user] - cal.start_s) // 3600, 0, hours - 1)
        lo = cal.hour_cdf[first_h]
        h = np.searchsorted(cal.hour_cdf, lo + rng.random(len(user)) * (1 - lo), side="right") - 1
        t0 = cal.start_s + np.clip(h, first_h, hours - 1) * 3600 + rng.integers(0, 3600, len(user))
        t0 = np.maximum(t0, first_s[user])
        order = np.lexsort((t0, user))
        user, t0 = user[order], t0[order]
        device = np.where(rng.random(len(user)) < 0.8, pop.device[user], rng.integers(0, 3, len(user)))
        ids = self._add_sessions(user, device)
        entry = rng.choice(4, size=len(user), p=ENTRY_P)
        leaf = self._categorical(self._leaf_weights(user, t0))
        bw = np.exp(self.pop.brand_score[user]) * self.tax.leaf_brands[leaf]
        brand = np.where(np.isin(entry, (E_CATEGORY, E_SEARCH)) & (rng.random(len(user)) < 0.35),
                         self._categorical(bw), -1)
        n_slates = np.minimum(rng.geometric(0.4, len(user)), 7)
        return {"session": ids, "user": user, "t0": t0, "entry": entry, "leaf": leaf, "brand": brand,
                "n_slates": n_slates}

    # ------------------------------------------------------------------ slates
    def _fill(self, kind: np.ndarray, leaf: np.ndarray, brand: np.ndarray, t: np.ndarray) -> np.ndarray:
        """An item for each slot: from its leaf (and brand), the trending pool or new arrivals, and already
        listed at time ``t`` (-1 where nothing fits)."""
        rng = self.rng
        item = np.full(len(kind), -1, np.int64)
        for _ in range(4):
            todo = np.flatnonzero(item < 0)
            if not len(todo):
                break
            k, lf, br = kind[todo], leaf[todo], brand[todo]
            pair = np.where(br >= 0, lf * self.tax.n_brands + br, -1)
            got = np.where(br >= 0, self.by_leaf_brand.sample(pair, rng), -1)
            got = np.where(got < 0, self.by_leaf.sample(lf, rng), got)
            got = np.where(k == K_TRENDING, self.trending.sample(np.zeros(len(todo), np.int64), rng), got)
            new = np.flatnonzero(k == K_NEW)
            if len(new):
                tt = t[todo[new]]
                a = np.searchsorted(self.created_sorted, tt - 21 * DAY)
                b = np.searchsorted(self.created_sorted, tt, side="right")
                pick = a + (rng.random(len(new)) * np.maximum(b - a, 1)).astype(np.int64)
                got[new] = np.where(b > a, self.by_created[np.minimum(pick, len(self.by_created) - 1)],
                                    self.trending.sample(np.zeros(len(new), np.int64), rng))
            ok = (got >= 0) & (self.cat.created[np.maximum(got, 0)] <= t[todo])
            item[todo[ok]] = got[ok]
        return item

    def browse(self, plan: dict[str, np.ndarray]) -> _Slots:
        """Slates of the main sessions, filled with items."""
        rng = self.rng
        n_sess = len(plan["session"])
        entry = plan["entry"]
        n_slates = np.where(entry == E_PRODUCT, plan["n_slates"] + 1, plan["n_slates"])
        s = np.repeat(np.arange(n_sess), n_slates)  # local session row of each slate
        r = rank_within(s)
        e = entry[s]
        u = rng.random(len(s))
        kind = np.select(
            [e == E_HOME, (e == E_PRODUCT) & (r == 0), e == E_PRODUCT],
            [np.where(u < 0.6, K_PERSONAL, np.where(u < 0.85, K_TRENDING, K_NEW)), K_LANDING, K_SIMILAR],
            np.where(u < 0.85, K_FOCAL, K_RELATED))
        # related slates are a step sideways (a category page), even when the session began with a search
        page = np.select([e == E_HOME, kind == K_RELATED, e == E_SEARCH, e == E_CATEGORY, kind == K_LANDING],
                         [P_HOME, P_CATEGORY, P_SEARCH, P_CATEGORY, P_PRODUCT], P_PRODUCT)
        user, t0 = plan["user"][s], plan["t0"][s]
        leaf = plan["leaf"][s].copy()
        personal = np.flatnonzero(kind == K_PERSONAL)
        leaf[personal] = self._categorical(self._leaf_weights(user[personal], t0[personal]))
        related = np.flatnonzero(kind == K_RELATED)
        leaf[related] = self._related(leaf[related], user[related], t0[related])
        leaf[np.isin(kind, (K_TRENDING, K_NEW))] = -1
        brand = np.where((kind == K_FOCAL) & (rng.random(len(s)) < 0.7), plan["brand"][s], -1)
        slate_id = self._slate_ids(len(s))
        size = SLATE_SIZE[kind]
        slot_slate = np.repeat(np.arange(len(s)), size)
        item = self._fill(kind[slot_slate], leaf[slot_slate], brand[slot_slate], t0[slot_slate])
        slots = _Slots(plan["session"][s][slot_slate], slate_id[slot_slate], kind[slot_slate],
                       rank_within(slot_slate), item, page[slot_slate])
        return self._dedupe(slots, slots.session)  # a later page does not repeat what the shopper saw

    def _slate_ids(self, n: int) -> np.ndarray:
        """Fresh slate ids (a slate filled by a recommender logs its id as the recommendation id)."""
        ids = self.n_slates + np.arange(n)
        self.n_slates += n
        return ids

    def _related(self, leaf: np.ndarray, user: np.ndarray, t: np.ndarray) -> np.ndarray:
        """A complement of the leaf when it has one, else a sibling leaf in the same top category."""
        w = self._leaf_weights(user, t) * (self.tax.leaf_top[None, :] == self.tax.leaf_top[leaf][:, None])
        w[np.arange(len(leaf)), leaf] *= 0.2
        out = self._categorical(w + 1e-12)
        comp = np.array([len(c) for c in self.tax.complements])[leaf]
        use = (comp > 0) & (self.rng.random(len(leaf)) < 0.6)
        pick = (self.rng.random(len(leaf)) * np.maximum(comp, 1)).astype(np.int64)
        flat, offset = self._complement_table()
        return np.where(use, flat[offset[leaf] + np.minimum(pick, np.maximum(comp - 1, 0))], out)

    def _complement_table(self) -> tuple[np.ndarray, np.ndarray]:
        flat = np.array([c for cs in self.tax.complements for c in cs] + [0], dtype=np.int64)
        offset = np.cumsum([0] + [len(c) for c in self.tax.complements])[:-1]
        return flat, offset

    @staticmethod
    def _dedupe(slots: _Slots, scope: np.ndarray) -> _Slots:
        """Drop empty slots and repeats of an item within ``scope`` (slate or session); renumber positions."""
        keep = slots.item >= 0
        key = scope * (slots.item.max(initial=0) + 1) + slots.item
        _, first = np.unique(np.where(keep, key, -1), return_index=True)
        mask = np.zeros(len(keep), bool)
        mask[first] = True
        out = slots.take(mask & keep)
        out.pos = rank_within(out.slate)
        return out

    # ------------------------------------------------------------------ funnel
    def appeal(self, user: np.ndarray, item: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Ground-truth appeal of ``item`` to ``user`` at time ``t`` (noise-free)."""
        cat, pop = self.cat, self.pop
        leaf = cat.leaf[item]
        w = self._taste(user, t)
        pref = (1 - w) * pop.leaf_pref[user, leaf] + w * pop.leaf_pref_new[user, leaf]
        fit = np.clip(np.log(pref * self.tax.n_leaves + 1e-9), -4.0, 2.5)
        price = -((cat.rel_price[item] - pop.price_level[user]) ** 2) / 0.4
        season = np.log(self.cal.season[self._day(t), self.tax.leaf_season[leaf]])
        utility: np.ndarray = (fit + 0.7 * pop.brand_score[user, cat.brand[item]] + 0.9 * price
                               + 0.45 * cat.quality[item] + 0.25 * np.log(cat.exposure[item]) + 0.5 * season)
        return utility

    def funnel(self, slots: _Slots, base: np.ndarray) -> dict[str, np.ndarray]:
        """Impressions -> views -> clicks (-> favourites) -> carts for the slots; each session's slates start
        at ``base[session]``. Emits the events; returns the carts and each session's end time."""
        rng, log = self.rng, self.log
        n = len(slots.item)
        s_user = np.concatenate(self.s_user)
        user = s_user[slots.session]
        t_est = base[slots.session]
        a = self.appeal(user, slots.item, t_est) + rng.normal(0.0, 0.8, n)
        forced = slots.kind == K_LANDING
        viewed = forced | (rng.random(n) < _sigmoid(a + C_VIEW - 0.08 * slots.pos))
        clicked = viewed & (rng.random(n) < _sigmoid(0.6 * a + C_CLICK))
        fav = viewed & (rng.random(n) < _sigmoid(0.6 * a + C_FAV))
        cart = clicked & (rng.random(n) < _sigmoid(0.7 * a + C_CART))
        dwell = np.where(viewed, rng.lognormal(np.log(35.0), 0.7, n) + 12 * clicked + 8 * cart, 0.0)
        gap = rng.uniform(2.0, 8.0, n)
        d = np.where(viewed, gap + dwell, 0.0)
        within = exclusive_cumsum(d, slots.slate)
        run, first = runs(slots.slate)
        slate_len = np.bincount(run, weights=d) + 3 + rng.uniform(3, 20, len(first))
        slate_session = slots.session[first]
        slate_start = base[slate_session] + exclusive_cumsum(slate_len, slate_session)
        t_imp = slate_start[run].astype(np.int64)
        t_view = (t_imp + 3 + within + gap).astype(np.int64)
        step = np.maximum(1, (0.25 * dwell).astype(np.int64))
        t_click, t_fav = t_view + step, t_view + 2 * step
        t_cart = t_view + 3 * step
        rec = np.where(HAS_REC[slots.kind], slots.slate, -1)
        shown = ~forced
        log.emit(slots.session[shown], slots.item[shown], IMP, t_imp[shown], slots.page[shown],
                 key=slots.pos[shown], rec=rec[shown], pos=slots.pos[shown])
        for mask, etype, ts in ((viewed, VIEW, t_view), (clicked, CLICK, t_click), (fav, FAV, t_fav),
                                (cart, CART, t_cart)):
            page = np.where(slots.kind[mask] == K_COMPLEMENT, P_CART, P_PRODUCT)
            log.emit(slots.session[mask], slots.item[mask], etype, ts[mask], page, rec=rec[mask])
        end = base.copy()
        np.maximum.at(end, slate_session, slate_start + slate_len)
        return {"session": slots.session[cart], "item": slots.item[cart], "t": t_cart[cart],
                "appeal": a[cart], "end": end}

    def complements(self, carts: dict[str, np.ndarray], end: np.ndarray) -> dict[str, np.ndarray]:
        """The cart page of sessions with a cart: a small slate of complements of the first carted item."""
        rng = self.rng
        if not len(carts["session"]):
            return carts
        first = np.r_[True, carts["session"][1:] != carts["session"][:-1]]
        trig = np.flatnonzero(first)
        leaf = self.cat.leaf[carts["item"][trig]]
        n_comp = np.array([len(c) for c in self.tax.complements])[leaf]
        trig = trig[(n_comp > 0) & (rng.random(len(trig)) < 0.7)]
        if not len(trig):
            return carts
        sess, titem = carts["session"][trig], carts["item"][trig]
        flat, offset = self._complement_table()
        size = SLATE_SIZE[K_COMPLEMENT]
        rows = np.repeat(np.arange(len(trig)), size)
        lf = self.cat.leaf[titem][rows]
        n_c = np.array([len(c) for c in self.tax.complements])[lf]
        c_leaf = flat[offset[lf] + (rng.random(len(rows)) * n_c).astype(np.int64)]
        brand = np.where(rng.random(len(rows)) < 0.35, self.cat.brand[titem][rows], -1)
        t = end[sess][rows] + 5
        item = self._fill(np.full(len(rows), K_COMPLEMENT), c_leaf, brand, t.astype(np.int64))
        slate_id = self._slate_ids(len(trig))[rows]
        slots = _Slots(sess[rows], slate_id, np.full(len(rows), K_COMPLEMENT), rank_within(rows), item,
                       np.full(len(rows), P_CART))
        slots = self._dedupe(slots, slots.slate)
        # the cart page counts as one more slate that starts where the session ended
        more = self.funnel(slots, end + 5)
        return {k: np.concatenate([carts[k], more[k]]) for k in ("session", "item", "t", "appeal")} | {
            "end": np.maximum(end, more["end"])}

    def checkout(self, carts: dict[str, np.ndarray],
                 end: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Carts become purchases (more often on festival days), one order per session at its end.
        Returns the purchases and the abandoned carts."""
        rng = self.rng
        sess, item = carts["session"], carts["item"]
        order = np.lexsort((carts["t"], sess))
        sess, item, t_cart, a = sess[order], item[order], carts["t"][order], carts["appeal"][order]
        _, first = np.unique(sess * (len(self.cat.leaf) + 1) + item, return_index=True)
        keep = np.zeros(len(sess), bool)
        keep[first] = True
        sess, item, t_cart, a = sess[keep], item[keep], t_cart[keep], a[keep]
        promo = self.cal.promo[self._day(t_cart)]
        buy = rng.random(len(sess)) < _sigmoid(0.5 * a + C_BUY + 0.6 * promo)
        t_buy = np.maximum(end[sess] + rng.integers(20, 120, len(sess)), t_cart + 1)
        b_sess, b_item = sess[buy], item[buy]
        t_buy = t_buy[buy] + 2 * rank_within(b_sess)
        self._emit_purchases(b_sess, b_item, t_buy, key=rank_within(b_sess))
        abandoned = {"session": sess[~buy], "item": item[~buy], "t": t_cart[~buy]}
        return {"session": b_sess, "item": b_item, "t": t_buy}, abandoned

    def _emit_purchases(self, sess: np.ndarray, item: np.ndarray, t: np.ndarray,
                        key: np.ndarray | None = None) -> None:
        consumable = self.tax.leaf_consumable[self.cat.leaf[item]] > 0
        qty = np.where(consumable, self.rng.choice([1, 2, 3], len(item), p=[0.7, 0.2, 0.1]), 1).astype(float)
        self.log.emit(sess, item, BUY, t, P_CART, key=key, value=qty,
                      revenue=np.round(qty * self.cat.price[item], 2))

    # ------------------------------------------------------------------ later passes
    def returns(self, abandoned: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Some abandoned carts bring the shopper back hours or days later to buy."""
        rng, s_user = self.rng, np.concatenate(self.s_user)
        back = rng.random(len(abandoned["item"])) < 0.3
        user, item = s_user[abandoned["session"][back]], abandoned["item"][back]
        t = abandoned["t"][back] + np.clip(rng.lognormal(np.log(20 * 3600), 1.0, len(item)), 3600, 7 * DAY)
        t = t.astype(np.int64)
        ok = t < self.cal.end_s
        user, item, t = user[ok], item[ok], t[ok]
        sess = self._add_sessions(user)
        self.log.emit(sess, item, VIEW, t, P_PRODUCT)
        buy = rng.random(len(item)) < 0.55
        tb = t[buy] + rng.integers(40, 300, int(buy.sum()))
        self._emit_purchases(sess[buy], item[buy], tb)
        return {"session": sess[buy], "item": item[buy], "t": tb}

    def replenish(self, purchases: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
        """Consumables are bought again after about their usual interval (chained repeats)."""
        rng, out = self.rng, []
        cur = purchases
        for _ in range(8):
            s_user = np.concatenate(self.s_user)
            interval = self.tax.leaf_consumable[self.cat.leaf[cur["item"]]]
            again = (interval > 0) & (rng.random(len(interval)) < 0.6)
            t = (cur["t"] + interval * DAY * rng.lognormal(0.0, 0.25, len(interval))).astype(np.int64)
            again &= t < self.cal.end_s
            if not again.any():
                break
            user, item, t = s_user[cur["session"][again]], cur["item"][again], t[again]
            sess = self._add_sessions(user)
            self.log.emit(sess, item, VIEW, t, P_PRODUCT)
            tc = t + rng.integers(20, 90, len(item))
            self.log.emit(sess, item, CART, tc, P_PRODUCT)
            buy = rng.random(len(item)) < 0.85
            tb = tc[buy] + rng.integers(30, 200, int(buy.sum()))
            self._emit_purchases(sess[buy], item[buy], tb)
            cur = {"session": sess[buy], "item": item[buy], "t": tb}
            out.append(cur)
        return out

    def ratings(self, purchases: dict[str, np.ndarray]) -> None:
        """About a fifth of purchases get a 1-5 star rating a few days later."""
        rng, s_user = self.rng, np.concatenate(self.s_user)
        rate = rng.random(len(purchases["item"])) < 0.22
        user, item = s_user[purchases["session"][rate]], purchases["item"][rate]
        t = purchases["t"][rate] + (rng.uniform(2, 12, len(item)) * DAY).astype(np.int64)
        ok = t < self.cal.end_s
        user, item, t = user[ok], item[ok], t[ok]
        a = self.appeal(user, item, t)
        raw = 3.5 + 0.7 * self.cat.quality[item] + 0.15 * a + rng.normal(0, 1.1, len(item))
        stars = np.clip(np.round(raw), 1, 5)
        sess = self._add_sessions(user)
        self.log.emit(sess, item, RATE, t, P_PRODUCT, value=stars)

    def searches(self, plan: dict[str, np.ndarray]) -> None:
        """A search event (with the query in the shopper's language) opens each search session."""
        rng = self.rng
        idx = np.flatnonzero(plan["entry"] == E_SEARCH)
        sess, leaf, brand = plan["session"][idx], plan["leaf"][idx], plan["brand"][idx]
        lang = self.pop.language[plan["user"][idx]]
        noun_pick, generic = rng.random(len(idx)), rng.random(len(idx)) < 0.2
        for j in range(len(idx)):
            lf = LEAVES[leaf[j]]
            nouns = lf.parsed["nouns"]
            noun = nouns[int(noun_pick[j] * len(nouns))]
            if lang[j] == 0:
                q = lf.path_zh.split(" > ")[-1] if generic[j] else noun.zh
                q = (BRANDS[brand[j]].zh + " " + q) if brand[j] >= 0 else q
            else:
                q = soft_lower(lf.path.split(" > ")[-1] if generic[j] else noun.en).lower()
                q = (BRANDS[brand[j]].en.lower() + " " + q) if brand[j] >= 0 else q
            self.queries[int(sess[j])] = q
        self.log.emit(sess, np.full(len(idx), -1), SEARCH, plan["t0"][idx], P_SEARCH)

    # ------------------------------------------------------------------ all together
    def run(self) -> None:
        """All passes, in order."""
        plan = self.plan_sessions()
        self.searches(plan)
        slots = self.browse(plan)
        base = plan["t0"] + np.where(plan["entry"] == E_SEARCH, 4, 0)
        carts = self.funnel(slots, base)
        carts = self.complements(carts, carts["end"])
        bought, abandoned = self.checkout(carts, carts["end"])
        came_back = self.returns(abandoned)
        purchases = {k: np.concatenate([bought[k], came_back[k]]) for k in ("session", "item", "t")}
        repeats = self.replenish(purchases)
        for r in repeats:
            purchases = {k: np.concatenate([purchases[k], r[k]]) for k in ("session", "item", "t")}
        self.ratings(purchases)

    def events_frame(self, item_ids: np.ndarray, user_ids: np.ndarray) -> pd.DataFrame:
        """The canonical event frame of everything simulated (see :meth:`EventLog.frame`)."""
        return self.log.frame(end_s=self.cal.end_s, session_user=np.concatenate(self.s_user),
                              session_device=np.concatenate(self.s_device), queries=self.queries,
                              item_ids=item_ids, user_ids=user_ids)
