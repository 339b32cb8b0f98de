"""The refresh job: compute every user's profile from the store and write profiles, segments and memberships back.

- **full** (the first run, or ``full=True``): reads every event, fits the population-level models (RFM score
  edges, BG/NBD and Gamma-Gamma, the churn classifier, k-means centres, LDA topics), describes the segments, and
  writes every profile. The fitted models are kept in the store (``customer_state``) with the last event
  ``seq`` read.
- **incremental**: reads only events after that ``seq``, re-reads the whole history of the users they belong
  to, and recomputes those users' profiles with the kept models (no refit). Users without new events keep
  their profile (its ``as_of`` says when it was computed); segment descriptions and sizes change at the next
  full refresh. Run a full refresh regularly (e.g. nightly) so that time alone (a customer drifting from
  active to lapsed) shows up for everyone.

>>> from shopmind.storage import open_store
>>> store = open_store("sqlite:///:memory:")
>>> refresh(store, CustomerSettings()).users
0
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopmind.customers.activity import Activity, item_tags, prepare_activity
from shopmind.customers.churn import ChurnModel, churn_features, churn_labels
from shopmind.customers.clv import BetaGeoModel, GammaGammaModel, summarise
from shopmind.customers.config import CustomerSettings
from shopmind.customers.profiles import (
    interest_matrix,
    interest_tags,
    interest_weights,
    item_tag_matrices,
    user_item_matrix,
    user_table,
)
from shopmind.customers.rfm import rfm_edges, rfm_groups, rfm_scores, rule_labels
from shopmind.customers.segments import KMeansSegmenter, TopicSegmenter, describe_segment
from shopmind.customers.summary import summarise_profile
from shopmind.errors import DataError, ShopmindError, UnknownIdError
from shopmind.storage.base import Store

if TYPE_CHECKING:
    from shopmind.models import Recommender

logger = logging.getLogger(__name__)

STATE_KEY = "customers.models"
STATE_FORMAT = 1
DAY = pd.Timedelta(days=1)
YEAR_DAYS = 365.0


@dataclass
class FittedModels:
    """Everything a full refresh fits and an incremental one reuses (pickled into the store)."""

    as_of: pd.Timestamp
    last_seq: int
    rfm_edges: dict[str, list[float]]
    bgnbd: dict[str, float] | None
    gamma_gamma: dict[str, float] | None
    churn: ChurnModel | None
    kmeans: KMeansSegmenter | None
    kmeans_vocab: list[str]
    topics: TopicSegmenter | None
    currency: str | None
    format: int = STATE_FORMAT


@dataclass
class RefreshReport:
    """What a refresh did."""

    mode: str
    users: int
    events_read: int
    seconds: float
    #: CPU seconds of the process (all threads): wall-clock time on a machine shared with other work
    #: includes waiting for a core, this does not
    cpu_seconds: float
    as_of: str
    last_seq: int
    steps: dict[str, float] = field(default_factory=dict)
    quality: dict[str, int] = field(default_factory=dict)
    segments: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Steps:
    """Times each step and shows a progress bar (rich) over the steps when asked."""

    def __init__(self, names: list[str], progress: bool) -> None:
        self.times: dict[str, float] = {}
        self._progress: Any = None
        if progress:
            # lazy: rich's live display is only for a person watching
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("customers refresh: {task.description:<28}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                                      transient=True)
            self._progress.start()
            self._task = self._progress.add_task(names[0], total=len(names))

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self._progress is not None:
            self._progress.update(self._task, description=name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = round(time.perf_counter() - t0, 3)
            if self._progress is not None:
                self._progress.advance(self._task)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


FULL_STEPS = ["reading the store", "cleaning events", "profiles and interests", "RFM", "lifetime value",
              "churn model", "k-means segments", "LDA topics", "next categories", "writing profiles"]
INCREMENTAL_STEPS = ["reading new events", "cleaning events", "profiles and interests", "scoring",
                     "next categories", "writing profiles"]


def load_models(store: Store) -> FittedModels | None:
    """The models of the last full refresh, or None (never refreshed, or written by another format)."""
    blob = store.get_customer_state(STATE_KEY)
    if blob is None:
        return None
    try:
        models = pickle.loads(blob)
    except (pickle.UnpicklingError, AttributeError, EOFError, ImportError) as exc:
        logger.warning("the stored customer models cannot be read (%s): a full refresh will replace them", exc)
        return None
    return models if getattr(models, "format", None) == STATE_FORMAT else None


def refresh(store: Store, settings: CustomerSettings, *, full: bool = False, as_of: pd.Timestamp | None = None,
            recommender: Recommender | None = None, progress: bool = False) -> RefreshReport:
    """Refresh the profiles in ``store``: incrementally when a previous full refresh left its models,
    else (or with ``full``) from scratch. ``recommender`` gives the categories each user is likely to buy next."""
    models = None if full else load_models(store)
    now = pd.Timestamp.now(tz="UTC") if as_of is None else pd.Timestamp(as_of)
    now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    if models is None:
        return _full(store, settings, now, recommender, progress)
    return _incremental(store, settings, models, now, recommender, progress)


# ---------------------------------------------------------------------------------------------- pieces
def _bgnbd_values(activity: Activity, bgnbd: BetaGeoModel | None, gg: GammaGammaModel | None,
                  users: pd.Index, settings: CustomerSettings) -> pd.DataFrame:
    """p_alive, expected purchases and spend, clv_12m of ``users`` (customers) as of the activity's time."""
    out = pd.DataFrame(index=users, columns=["p_alive", "expected_purchases_12m", "expected_spend", "clv_12m"],
                       dtype=np.float64)
    if bgnbd is None or not len(users):
        return out
    buys = activity.purchases[activity.purchases["user_id"].isin(users)]
    tx = pd.DataFrame({"customer_id": buys["user_id"].to_numpy(), "timestamp": buys["timestamp"],
                       "amount": buys["amount"].to_numpy()})
    s = summarise(tx, activity.as_of.floor("D"), unit_days=settings.clv_unit_days).frame.reindex(users)
    s = s.fillna({"frequency": 0.0, "recency": 0.0, "T": 0.0, "monetary": 0.0})
    x, tx_, t = s["frequency"], s["recency"], s["T"]
    out["p_alive"] = bgnbd.probability_alive(x, tx_, t)
    out["expected_purchases_12m"] = bgnbd.conditional_expected_purchases(YEAR_DAYS / settings.clv_unit_days,
                                                                         x, tx_, t)
    if gg is not None:
        out["expected_spend"] = gg.conditional_expected_spend(x, s["monetary"])
        out["clv_12m"] = out["expected_purchases_12m"] * out["expected_spend"]
    return out


def _purchase_counts(activity: Activity, users: pd.Index, vocab: list[str] | None = None
                     ) -> tuple[sp.csr_matrix, list[str]]:
    """Users x terms counts of the categories and brands each user bought (carts and favourites count half
    for users who bought fewer than 2 items): the LDA documents."""
    bought = user_item_matrix(activity, users, ("purchase",), weight="count")
    wanted = user_item_matrix(activity, users, ("add_to_cart", "favorite"), weight="count")
    few = np.asarray(bought.sum(axis=1)).ravel() < 2
    docs = bought + sp.diags(few.astype(np.float64)) @ wanted * 0.5
    tags = item_tag_matrices(activity)
    blocks, names = [], []
    for kind in ("category", "brand"):
        ind, tag_names = tags[kind]
        blocks.append(docs @ ind)
        names += [f"{kind}:{t}" for t in tag_names]
    counts = sp.csr_matrix(sp.hstack(blocks)) if blocks else sp.csr_matrix((len(users), 0))
    if vocab is None:
        return counts, names
    idx = pd.Index(names).get_indexer(vocab)
    coo = counts.tocoo()
    remap = np.full(len(names), -1)
    remap[idx[idx >= 0]] = np.flatnonzero(idx >= 0)
    col = remap[coo.col] if len(names) else coo.col
    ok = col >= 0
    return sp.csr_matrix((coo.data[ok], (coo.row[ok], col[ok])), shape=(len(users), len(vocab))), list(vocab)


def _next_categories(recommender: Recommender | None, activity: Activity, users: pd.Index, n: int,
                     batch: int = 2048) -> dict[str, list[dict[str, Any]]]:
    """The categories of each user's top-20 recommended items, scored by reciprocal rank."""
    if recommender is None or not len(users):
        return {}
    dense = recommender.users_.indices(users, missing="skip")
    known = np.flatnonzero(dense >= 0)
    model_items = recommender.items_.raws(range(len(recommender.items_)))
    rows = activity.tags.item_ids.get_indexer(pd.Index(model_items, dtype=object))
    cats = np.where(rows >= 0, activity.tags.category[np.maximum(rows, 0)], None)
    out: dict[str, list[dict[str, Any]]] = {}
    for s in range(0, len(known), batch):
        part = known[s:s + batch]
        ids, _ = recommender.recommend(dense[part], N=20)
        for u, row in zip(part, ids, strict=True):
            score: dict[str, float] = {}
            for rank, it in enumerate(row):
                c = cats[it] if it >= 0 else None
                if c is not None:
                    score[c] = score.get(c, 0.0) + 1.0 / (rank + 1)
            top = sorted(score.items(), key=lambda kv: -kv[1])[:n]
            total = sum(score.values()) or 1.0
            out[str(users[u])] = [{"category": c, "score": round(v / total, 4)} for c, v in top]
    return out


def _num(v: Any, digits: int = 4) -> float | None:
    """A finite float rounded, or None (profiles never hold NaN)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, digits) if np.isfinite(f) else None


def _iso(v: Any) -> str | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).isoformat()


def _column(table: pd.DataFrame, name: str, digits: int = 4) -> list[Any]:
    """A numeric column as rounded floats with None for missing values (profiles never hold NaN)."""
    v = pd.to_numeric(table[name], errors="coerce").to_numpy(np.float64)
    ok = np.isfinite(v)
    out: list[Any] = np.round(np.where(ok, v, 0.0), digits).tolist()
    for i in np.flatnonzero(~ok).tolist():
        out[i] = None
    return out


def _times(table: pd.DataFrame, name: str) -> list[Any]:
    """A UTC time column as ISO 8601 text (``2026-06-01T10:00:00Z``) with None for missing values."""
    ts = pd.to_datetime(table[name], utc=True)
    ok = ts.notna().to_numpy()
    text = np.full(len(ts), None, dtype=object)
    if ok.any():
        text[ok] = np.datetime_as_string(ts[ok].dt.tz_localize(None).to_numpy().astype("datetime64[s]"),
                                         unit="s").astype(object) + "Z"
    return text.tolist()


def _profiles(table: pd.DataFrame, activity: Activity, settings: CustomerSettings,
              tags: dict[str, dict[str, dict[str, float]]], attrs: dict[str, dict[str, Any]],
              memberships: dict[str, list[str]], next_cats: dict[str, list[dict[str, Any]]],
              churn_source: str) -> dict[str, dict[str, Any]]:
    """The profile documents of every row of ``table`` (the readable summary is added when a profile is read,
    :func:`with_summary`)."""
    labels = rule_labels(settings)
    cur = activity.currency
    as_of = activity.as_of.isoformat()
    n = len(table)
    c = {name: _column(table, name, d) for name, d in (
        ("items_bought", 2), ("monetary", 2), ("recency_days", 2), ("orders_per_30d", 4), ("basket_size", 3),
        ("mean_gap_days", 2), ("price_low", 2), ("price_high", 2), ("clv_12m", 2), ("expected_purchases_12m", 4),
        ("expected_spend", 2), ("p_alive", 4), ("churn_risk", 4))}
    t = {name: _times(table, name) for name in ("first_seen", "last_seen", "first_purchase", "last_purchase")}
    orders = table["orders"].astype(np.int64).tolist()
    days = table["purchase_days"].astype(np.int64).tolist()
    events = table["events"].fillna(0).astype(np.int64).tolist()
    stage = table["stage"].tolist()
    rfm = table["rfm"].tolist() if "rfm" in table else [None] * n
    r_, f_, m_ = ((table[k].fillna(0).astype(np.int64).tolist() if k in table else [0] * n)
                  for k in ("rfm_r", "rfm_f", "rfm_m"))
    docs: dict[str, dict[str, Any]] = {}
    for i, user in enumerate(table.index.tolist()):
        group = rfm[i]
        bought = orders[i] > 0
        docs[user] = {
            "user_id": user, "as_of": as_of, "attributes": attrs.get(user, {}), "stage": stage[i],
            "activity": {"first_seen": t["first_seen"][i], "last_seen": t["last_seen"][i], "events": events[i]},
            "purchases": {"orders": orders[i], "purchase_days": days[i], "items": c["items_bought"][i] or 0.0,
                          "spend": c["monetary"][i] or 0.0, "currency": cur, "first": t["first_purchase"][i],
                          "last": t["last_purchase"][i], "recency_days": c["recency_days"][i],
                          "orders_per_30d": c["orders_per_30d"][i], "basket_size": c["basket_size"][i],
                          "mean_gap_days": c["mean_gap_days"][i]},
            "price_range": ({"low": c["price_low"][i], "high": c["price_high"][i], "currency": cur}
                            if c["price_low"][i] is not None else None),
            "interests": tags.get(user, {}),
            "rfm": ({"r": r_[i], "f": f_[i], "m": m_[i], "score": f"{r_[i]}{f_[i]}{m_[i]}", "group": group,
                     "label": labels[group][0], "label_zh": labels[group][1]} if isinstance(group, str) else None),
            "value": ({"clv_12m": c["clv_12m"][i], "expected_purchases_12m": c["expected_purchases_12m"][i],
                       "expected_spend": c["expected_spend"][i], "p_alive": c["p_alive"][i]} if bought else None),
            "churn": ({"risk": c["churn_risk"][i], "horizon_days": settings.churn_days, "source": churn_source}
                      if bought and c["churn_risk"][i] is not None else None),
            "segments": memberships.get(user, []),
            "next_categories": next_cats.get(user, []),
        }
    return docs


def with_summary(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile with its readable English and Chinese ``summary`` (written from the profile's own fields
    when it is read, so it always agrees with them)."""
    return {**profile, "summary": summarise_profile(profile)}


def _attributes(users: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {str(u): (a if isinstance(a, dict) else {}) for u, a in zip(users["user_id"], users["attributes"],
                                                                       strict=True)}


def _add_silent_users(table: pd.DataFrame, users: pd.DataFrame) -> pd.DataFrame:
    """Imported users without any event get a (prospect) row too."""
    silent = pd.Index(users["user_id"].astype(str)).difference(table.index)
    if not len(silent):
        return table
    extra = pd.DataFrame(index=silent, columns=table.columns)
    extra["events"], extra["orders"], extra["purchase_days"] = 0, 0, 0
    extra["items_bought"], extra["monetary"], extra["stage"] = 0.0, 0.0, "prospect"
    out = pd.concat([table, extra.astype(table.dtypes.to_dict(), errors="ignore")])
    out.index.name = "user_id"
    return out


# ---------------------------------------------------------------------------------------------- full
def _full(store: Store, settings: CustomerSettings, as_of: pd.Timestamp, recommender: Recommender | None,
          progress: bool) -> RefreshReport:
    t0, c0 = time.perf_counter(), time.process_time()
    steps = _Steps(FULL_STEPS, progress)
    notes: list[str] = []
    try:
        with steps.step("reading the store"):
            events = store.events_frame()
            items, users = store.items_frame(), store.users_frame()
            last_seq = int(events["seq"].max()) if len(events) else 0
            events_read = len(events)
        with steps.step("cleaning events"):
            activity = prepare_activity(events, item_tags(items), settings, as_of)
            del events
        with steps.step("profiles and interests"):
            table = _add_silent_users(user_table(activity, settings), users)
            weights = interest_weights(activity, table.index)
            top = interest_tags(weights, settings.top_tags)
        customers = table.index[table["orders"] > 0]
        with steps.step("RFM"):
            edges = rfm_edges(table.loc[customers], settings)
            scores = rfm_scores(table.loc[customers], edges)
            table = table.join(scores)
            table["rfm"] = rfm_groups(scores, settings).reindex(table.index)
        with steps.step("lifetime value"):
            bgnbd, gg = _fit_clv(activity, settings, notes)
            table = table.join(_bgnbd_values(activity, bgnbd, gg, customers, settings))
        with steps.step("churn model"):
            churn, source = _fit_churn(activity, users, settings, bgnbd, notes)
            table["churn_risk"] = _churn_risk(churn, activity, users, settings, bgnbd, table, customers)
        memberships: dict[str, list[str]] = {u: [] for u in table.index}
        segments: list[dict[str, Any]] = []
        for group, members in table.loc[customers].groupby("rfm").groups.items():
            for u in members:
                memberships[u].append(f"rfm:{group}")
        for rule in settings.rfm_rules:
            mask = (table["rfm"] == rule.name).to_numpy()
            segments.append({"segment_id": f"rfm:{rule.name}", "kind": "rfm", "name": rule.label,
                             "name_zh": rule.label_zh, "rule": {"r": list(rule.r), "fm": list(rule.fm)},
                             **describe_segment(mask, table, weights)})
        with steps.step("k-means segments"):
            kmeans: KMeansSegmenter | None = None
            x, vocab = interest_matrix(weights)
            try:
                kmeans = KMeansSegmenter(settings.k_min, settings.k_max, settings.fit_sample,
                                         seed=settings.seed).fit(x)
                labels_k = kmeans.predict(x)
                for k in range(kmeans.k_):
                    mask = labels_k == k
                    for u in table.index[mask]:
                        memberships[u].append(f"kmeans:{k}")
                    segments.append({"segment_id": f"kmeans:{k}", "kind": "kmeans", "name": f"Cluster {k}",
                                     "name_zh": f"聚类{k}", "representation": "interest tags",
                                     "silhouette": round(kmeans.silhouette_, 4), "k_scores": kmeans.scores_,
                                     **describe_segment(mask, table, weights)})
            except DataError as exc:
                notes.append(f"k-means skipped: {exc}")
        with steps.step("LDA topics"):
            topics = None
            counts, terms = _purchase_counts(activity, table.index)
            try:
                topics = TopicSegmenter(settings.topics, settings.topic_sample, seed=settings.seed).fit(counts, terms)
                topic, _share = topics.predict(counts)
                for k, words in enumerate(topics.top_terms()):
                    mask = topic == k
                    for u in table.index[mask]:
                        memberships[u].append(f"topic:{k}")
                    segments.append({"segment_id": f"topic:{k}", "kind": "topic", "name": f"Topic {k}",
                                     "name_zh": f"主题{k}", "top_terms": [{"term": t, "weight": w} for t, w in words],
                                     **describe_segment(mask, table, weights)})
            except DataError as exc:
                notes.append(f"LDA skipped: {exc}")
        with steps.step("next categories"):
            next_cats = _next_categories(recommender, activity, table.index, settings.next_categories)
        with steps.step("writing profiles"):
            docs = _profiles(table, activity, settings, top, _attributes(users), memberships, next_cats, source)
            store.put_profiles(docs)
            store.put_segments(segments)
            store.put_memberships(memberships)
            models = FittedModels(as_of, last_seq, edges, bgnbd.as_dict() if bgnbd else None,
                                  gg.as_dict() if gg else None, churn, kmeans, vocab, topics, activity.currency)
            store.put_customer_state(STATE_KEY, pickle.dumps(models, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        steps.close()
    return RefreshReport("full", len(docs), events_read, round(time.perf_counter() - t0, 3),
                         round(time.process_time() - c0, 3), as_of.isoformat(), last_seq, steps.times,
                         activity.quality, len(segments), notes)


def _fit_clv(activity: Activity, settings: CustomerSettings, notes: list[str]
             ) -> tuple[BetaGeoModel | None, GammaGammaModel | None]:
    buys = activity.purchases
    if buys.empty:
        notes.append("lifetime value skipped: no purchases")
        return None, None
    tx = pd.DataFrame({"customer_id": buys["user_id"].to_numpy(), "timestamp": buys["timestamp"],
                       "amount": buys["amount"].to_numpy()})
    s = summarise(tx, activity.as_of.floor("D"), unit_days=settings.clv_unit_days).frame
    if len(s) > settings.fit_sample:  # maximum likelihood on a random sample of customers: the same parameters
        s = s.sample(settings.fit_sample, random_state=settings.seed)  # within sampling error, far faster
    try:
        bgnbd = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    except DataError as exc:
        notes.append(f"lifetime value skipped: {exc}")
        return None, None
    try:
        gg = GammaGammaModel().fit(s["frequency"], s["monetary"])
    except DataError as exc:
        notes.append(f"spend model skipped (values are purchases only): {exc}")
        gg = None
    return bgnbd, gg


def _fit_churn(activity: Activity, users: pd.DataFrame, settings: CustomerSettings, bgnbd: BetaGeoModel | None,
               notes: list[str]) -> tuple[ChurnModel | None, str]:
    """The churn classifier, trained at ``as_of - churn_days`` on what happened in the churn window since."""
    cutoff = activity.as_of - settings.churn_days * DAY
    buys = activity.purchases
    if buys.empty or buys["timestamp"].min() >= cutoff:
        notes.append(f"churn model skipped: no purchases before {cutoff.date()} (the history is shorter than "
                     f"churn_days={settings.churn_days}); churn risk is BG/NBD's 1 - P(alive)")
        return None, "bgnbd"
    try:
        x = churn_features(_sample_customers(activity, cutoff, settings), cutoff, users, settings.churn_days,
                           settings.clv_unit_days)
        y = churn_labels(activity, cutoff, settings.churn_days, x.index)
        return ChurnModel(seed=settings.seed).fit(x, y), "model"
    except DataError as exc:
        notes.append(f"churn model skipped: {exc}; churn risk is BG/NBD's 1 - P(alive)")
        return None, "bgnbd"


def _sample_customers(activity: Activity, cutoff: pd.Timestamp, settings: CustomerSettings) -> Activity:
    """The activity of at most ``fit_sample`` customers who bought by ``cutoff`` (all of them when fewer): the
    churn model and its BG/NBD feature learn the same shape from a sample, in a fraction of the time."""
    buyers = pd.Index(activity.purchases.loc[activity.purchases["timestamp"] <= cutoff, "user_id"].unique())
    if len(buyers) <= settings.fit_sample:
        return activity
    keep = pd.Index(np.random.default_rng(settings.seed).choice(buyers.to_numpy(object), settings.fit_sample,
                                                                replace=False))
    return replace(activity, events=activity.events[activity.events["user_id"].isin(keep)],
                   purchases=activity.purchases[activity.purchases["user_id"].isin(keep)])


def _churn_risk(churn: ChurnModel | None, activity: Activity, users: pd.DataFrame, settings: CustomerSettings,
                bgnbd: BetaGeoModel | None, table: pd.DataFrame, customers: pd.Index) -> pd.Series:
    risk = pd.Series(np.nan, index=table.index)
    if not len(customers):
        return risk
    if churn is not None:
        x = churn_features(activity, activity.as_of, users, settings.churn_days, settings.clv_unit_days, bgnbd)
        risk.loc[x.index] = churn.predict_proba(x)
    elif "p_alive" in table:
        risk.loc[customers] = 1.0 - table.loc[customers, "p_alive"]
    return risk


# ---------------------------------------------------------------------------------------------- incremental
def _incremental(store: Store, settings: CustomerSettings, models: FittedModels, as_of: pd.Timestamp,
                 recommender: Recommender | None, progress: bool) -> RefreshReport:
    t0, c0 = time.perf_counter(), time.process_time()
    steps = _Steps(INCREMENTAL_STEPS, progress)
    try:
        with steps.step("reading new events"):
            new = store.events_frame(after_seq=models.last_seq)
            if new.empty:
                return RefreshReport("incremental", 0, 0, round(time.perf_counter() - t0, 3),
                                     round(time.process_time() - c0, 3), as_of.isoformat(), models.last_seq,
                                     steps.times)
            last_seq = int(new["seq"].max())
            changed = pd.Index(new["user_id"].astype(str).unique())
            events = store.events_frame(user_ids=changed)
            items = store.items_frame()
            users = store.users_frame()
            users = users[users["user_id"].isin(changed)]
        with steps.step("cleaning events"):
            settings_now = settings.model_copy(update={"currency": settings.currency or models.currency})
            activity = prepare_activity(events, item_tags(items), settings_now, as_of)
        with steps.step("profiles and interests"):
            table = user_table(activity, settings_now)
            weights = interest_weights(activity, table.index)
            top = interest_tags(weights, settings.top_tags)
        with steps.step("scoring"):
            customers = table.index[table["orders"] > 0]
            scores = rfm_scores(table.loc[customers], models.rfm_edges)
            table = table.join(scores)
            table["rfm"] = rfm_groups(scores, settings).reindex(table.index)
            bgnbd = BetaGeoModel.from_dict(models.bgnbd) if models.bgnbd else None
            gg = GammaGammaModel.from_dict(models.gamma_gamma) if models.gamma_gamma else None
            table = table.join(_bgnbd_values(activity, bgnbd, gg, customers, settings_now))
            table["churn_risk"] = _churn_risk(models.churn, activity, users, settings_now, bgnbd, table, customers)
            memberships: dict[str, list[str]] = {u: [] for u in table.index}
            for u, g in table["rfm"].items():
                if isinstance(g, str):
                    memberships[u].append(f"rfm:{g}")
            if models.kmeans is not None:
                x, _ = interest_matrix(weights, vocab=models.kmeans_vocab)
                for u, k in zip(table.index, models.kmeans.predict(x), strict=True):
                    if k >= 0:
                        memberships[u].append(f"kmeans:{k}")
            if models.topics is not None:
                counts, _ = _purchase_counts(activity, table.index, models.topics.vocab_)
                topic, _ = models.topics.predict(counts)
                for u, k in zip(table.index, topic, strict=True):
                    if k >= 0:
                        memberships[u].append(f"topic:{k}")
        with steps.step("next categories"):
            next_cats = _next_categories(recommender, activity, table.index, settings.next_categories)
        with steps.step("writing profiles"):
            source = "model" if models.churn is not None else "bgnbd"
            docs = _profiles(table, activity, settings_now, top, _attributes(users), memberships, next_cats, source)
            store.put_profiles(docs)
            store.put_memberships(memberships)
            models.last_seq = last_seq
            store.put_customer_state(STATE_KEY, pickle.dumps(models, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        steps.close()
    return RefreshReport("incremental", len(docs), len(new), round(time.perf_counter() - t0, 3),
                         round(time.process_time() - c0, 3), as_of.isoformat(), last_seq, steps.times, activity.quality,
                         notes=[f"{len(events):,} events of {len(changed):,} users re-read"])


def explain_churn(store: Store, user_id: str, settings: CustomerSettings, top: int = 5) -> dict[str, Any]:
    """One customer's churn risk from the last full refresh's model, with the features behind it (each set to
    its typical value in turn: how much the risk would move)."""
    models = load_models(store)
    if models is None or models.churn is None:
        raise ShopmindError("no churn model yet: run `shopmind customers refresh` on a store whose history is "
                            f"longer than churn_days ({settings.churn_days} days)")
    events = store.events_frame(user_ids=[str(user_id)])
    if events.empty:
        raise UnknownIdError("user", user_id)
    user = store.get_user(str(user_id))
    users = pd.DataFrame([user] if user else [], columns=["user_id", "attributes", "created_at"])
    now = settings.model_copy(update={"currency": settings.currency or models.currency})
    activity = prepare_activity(events, item_tags(store.items_frame()), now, models.as_of)
    bgnbd = BetaGeoModel.from_dict(models.bgnbd) if models.bgnbd else None
    try:
        x = churn_features(activity, models.as_of, users, settings.churn_days, settings.clv_unit_days, bgnbd)
    except DataError:
        raise ShopmindError(f"user {user_id!r} has no purchase up to {models.as_of.date()}: churn risk is "
                            "defined for customers") from None
    row = x.iloc[0]
    return {"user_id": str(user_id), "as_of": models.as_of.isoformat(), "horizon_days": settings.churn_days,
            "risk": round(float(models.churn.predict_proba(x)[0]), 4), "features": models.churn.explain(row, top)}
