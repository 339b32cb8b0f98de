"""The recommendation service: candidates -> re-ranking -> explained response, with no HTTP in it.

>>> service = RecommendationService.open(store, model)           # doctest: +SKIP
>>> rec = service.recommend("U00042", n=5)                        # doctest: +SKIP
>>> [(i.item_id, i.source, i.reason) for i in rec.items][:1]      # doctest: +SKIP
[('SKU00113', 'similar', 'because you viewed "Dewy Lab Brightening Retinol Ampoule - 30 ml"')]

The service owns the store handle, the live state (:mod:`shopmind.pipeline.state`) and the loaded model
versions (:mod:`shopmind.pipeline.versions`). Every read picks up the active model once, so a concurrent
:meth:`swap_model` or :meth:`rollback` never breaks a request in flight.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from shopmind.data.loaders.base import ReadResult
from shopmind.data.signals import WINDOWS
from shopmind.errors import UnknownIdError
from shopmind.ingest import ImportReport
from shopmind.models.base import Recommender
from shopmind.pipeline.candidates import (
    SOURCE_CODE,
    CandidateMerger,
    Candidates,
    main_root,
    model_source,
    new_source,
    popular_source,
    segment_source,
    similar_source,
    trending_source,
)
from shopmind.pipeline.exploration import ExplorationPool
from shopmind.pipeline.history import UserContext
from shopmind.pipeline.online import OnlineState, SharedSessions
from shopmind.pipeline.ranker import RankerBundle
from shopmind.pipeline.rerank import Placed, RerankInputs, rerank
from shopmind.pipeline.results import AttributionLog, Recommendation, build_items, new_recommendation_id
from shopmind.pipeline.rules import RequestError, RerankOptions, Rule
from shopmind.pipeline.state import LiveState
from shopmind.pipeline.versions import ModelBundle, ModelVersions
from shopmind.pipeline.writes import DeleteResult, LiveWriter, WriteResult
from shopmind.ranking.models import Ranker
from shopmind.settings import PipelineSettings
from shopmind.storage.base import Store

logger = logging.getLogger(__name__)

NO_ITEMS = np.empty(0, np.int64)
NO_ITEMS.flags.writeable = False


@dataclass(frozen=True, slots=True)
class CachedCandidates:
    """A user's merged candidates (:meth:`RecommendationService._personal_candidates`) and what they were
    made from: reused while the key (candidates wanted, live session, anchors, catalog version) and every
    object here is the same."""

    key: tuple[Any, ...]
    bundle: ModelBundle | None
    together: Any
    general: Candidates
    root: int
    segment: tuple[tuple[int, int, int], float, np.ndarray, np.ndarray] | None
    candidates: Candidates
    live_model: bool


class RecommendationService:
    """Recommendations, similar items, trending, re-ranking and writes over one store and model."""

    def __init__(self, store: Store, state: LiveState, config: PipelineSettings | None = None) -> None:
        self.store = store
        self.state = state
        self.config = config or state.config
        self.versions = ModelVersions(keep=self.config.models_kept)
        self.attribution = AttributionLog()
        self.attribution.load(store)  # the production counters by model version, kept in the store
        self.writer = LiveWriter(store, state, self.attribution)
        self.exploration = ExplorationPool(min_impressions=self.config.min_impressions,
                                           refresh_seconds=self.config.refresh_seconds)
        self.rng = np.random.default_rng(self.config.seed)
        self._newest_cache: tuple[int, np.ndarray] = (-1, np.empty(0, np.int64))
        #: (signals version, catalog version, monotonic time, entries) of the general sources.
        self._general_cache: tuple[int, int, float, Candidates] = (-1, -1, 0.0, Candidates.empty())
        #: root category -> ((signals version, catalog version, root), monotonic time, ids, scores)
        self._segment_cache: dict[int, tuple[tuple[int, int, int], float, np.ndarray, np.ndarray]] = {}
        #: user id -> the merged candidates of the user's last personal request, and what they were made of
        #: (:meth:`_personal_candidates`)
        self._candidate_cache: OrderedDict[str, CachedCandidates] = OrderedDict()
        self._candidate_lock = threading.Lock()
        #: Optional CTR ranker (:mod:`shopmind.ranking`) applied to the merged candidates of personal lists.
        self.ranker: Any = None
        #: Background retraining (:class:`shopmind.pipeline.retrain.Retrainer`), created on first use.
        self.retrainer: Any = None

    @classmethod
    def open(cls, store: Store, model: Recommender | None = None, *, config: PipelineSettings | None = None,
             source: str = "memory", version: str | None = None) -> RecommendationService:
        """Build the live state from ``store`` and activate ``model`` (a service without a model serves
        popular, trending and new items only)."""
        config = config or PipelineSettings()
        service = cls(store, LiveState.from_store(store, config), config)
        if model is not None:
            service.swap_model(model, source=source, version=version)
        return service

    # ------------------------------------------------------------------ model versions
    @property
    def model(self) -> ModelBundle | None:
        return self.versions.active

    def swap_model(self, model: Recommender, *, source: str = "memory", version: str | None = None,
                   publish: bool = True) -> dict[str, Any]:
        """Prepare ``model`` and make it the active version atomically; returns its description. With a
        shared online state every worker is told to serve it too (``publish``; it loads ``source``)."""
        bundle = ModelBundle(model, self.state.catalog, version=version, source=source,
                             neighbours=max(self.config.neighbours, self.config.per_anchor),
                             user_cache_size=self.config.user_cache, retrieval=self.config.retrieval)
        return self._published(self.versions.activate(bundle).info(), publish)

    def load_model(self, path: str | Path, *, version: str | None = None, publish: bool = True) -> dict[str, Any]:
        """Load a model artifact written by ``Recommender.save`` and swap it in."""
        model = Recommender.load(path)
        return self.swap_model(model, source=str(path), version=version, publish=publish)

    def _published(self, info: dict[str, Any], publish: bool = True) -> dict[str, Any]:
        if publish and self.state.online.shared:
            self.state.online.publish_version(str(info["version"]), str(info["source"]))
        return info

    # ------------------------------------------------------------------ shared online state
    def share_state(self, online: OnlineState) -> None:
        """Share the online state with other workers through ``online`` (e.g.
        :class:`~shopmind.pipeline.state_redis.RedisOnlineState`): sessions are read through it, events,
        catalog changes and model versions are published to it, and other workers' changes are applied
        here as they come."""
        cfg = self.config
        sessions = SharedSessions(online, self.state.catalog, max_users=cfg.max_sessions)
        self.state.sessions, self.state.online, self.attribution.shared = sessions, online, online
        online.start(self)

    def apply_replicated_events(self, events: list[Any]) -> None:
        self.writer.apply_events(events, replicated=True)

    def apply_replicated_items(self, change: str, payload: Any) -> None:
        self.writer.apply_item_change(change, payload)

    def apply_replicated_forget(self, user_ids: list[str], erase: bool = False) -> None:
        """Users another worker deleted: drop their live sessions; erased users (``erase``: the store no
        longer holds their events) are forgotten as on that worker - state rebuilt from the store, model
        vectors and cached answers dropped (:meth:`forget_users`)."""
        if erase:
            self.forget_users(user_ids, publish=False)
        else:
            self.state.sessions.forget(user_ids)

    def apply_replicated_version(self, version: str, source: str, load: bool = True) -> None:
        """Serve ``version`` as another worker told: activate it if loaded, else load it from ``source``
        (unless not ``load``: a request noticed the swap, and loading is left to the background thread)."""
        active = self.versions.active
        if active is not None and active.version == version:
            return
        if any(v["version"] == version for v in self.versions.list()):
            self.versions.activate_version(version)
        elif not load:
            return
        elif (Path(source) / "meta.json").is_file():
            self.load_model(source, version=version, publish=False)
        else:
            logger.warning("cannot serve the shared model version %s: no artifact at %r", version, source)

    def set_ranker(self, ranker: Any, *, source: str = "memory") -> dict[str, Any] | None:
        """Use a fitted :class:`shopmind.ranking.Ranker` (or a path to its artifact) as the ranking stage of
        personal recommendations; ``None`` removes it. Returns its description."""

        if ranker is None:
            self.ranker = None
            return None
        if isinstance(ranker, (str, Path)):
            source, ranker = str(ranker), Ranker.load(ranker)
        bundle = RankerBundle(ranker, source)
        self.ranker = bundle  # one reference swap: requests in flight keep the bundle they read
        return bundle.info()

    def _ranked(self, cands: Any, user_id: str | None, seen: np.ndarray, options: RerankOptions) -> Any:
        bundle = self.ranker
        if bundle is None:
            return cands
        return bundle.rank(cands, self.state.catalog, self.state.signals, user_id, seen, options.context,
                           self.config.rank_candidates, self.config.ranker_weight)

    def rollback(self) -> dict[str, Any]:
        """Serve the version that was active before this one again; returns its info (``active`` true)."""
        return {**self._published(self.versions.rollback().info()), "active": True}

    def activate(self, version: str) -> dict[str, Any]:
        """Serve a loaded ``version``; returns its info (``active`` true)."""
        return {**self._published(self.versions.activate_version(version).info()), "active": True}

    # ------------------------------------------------------------------ writes (see LiveWriter)
    def ingest_events(self, rows: Sequence[Mapping[str, Any]], source: str = "api") -> WriteResult:
        return self.writer.ingest_events(rows, source)

    def upsert_items(self, rows: Sequence[Mapping[str, Any]], source: str = "api") -> WriteResult:
        return self.writer.upsert_items(rows, source)

    def import_result(self, result: ReadResult, *, import_id: str | None = None) -> ImportReport:
        return self.writer.import_result(result, import_id=import_id)

    def upsert_users(self, rows: Sequence[Mapping[str, Any]], source: str = "api") -> WriteResult:
        return self.writer.upsert_users(rows, source)

    def delete_items(self, item_ids: Sequence[str]) -> DeleteResult:
        return self.writer.delete_items(item_ids)

    def delete_users(self, user_ids: Sequence[str]) -> DeleteResult:
        return self.writer.delete_users(user_ids)

    def forget_users(self, user_ids: Sequence[str], *, publish: bool = True) -> list[dict[str, Any]]:
        """After the store erased ``user_ids``: rebuild the live state without them, drop every cached answer,
        and remove them from every loaded model version (:meth:`Recommender.forget_users`: exact unlearning
        where the model allows it). Returns ``{"version", "action"}`` per loaded version; ``action`` is
        ``exact``, ``user_removed`` or ``not_in_model``. With a shared online state every other worker does
        the same (``publish``)."""
        ids = [str(u) for u in user_ids]
        self.state.forget_users(self.store, ids)
        if publish and self.state.online.shared:  # every other serving worker forgets them too
            self.state.online.forget_users(ids, erase=True)
        self._general_cache = (-1, -1, 0.0, Candidates.empty())
        self._segment_cache.clear()
        with self._candidate_lock:
            self._candidate_cache.clear()
        self.exploration = ExplorationPool(min_impressions=self.config.min_impressions,
                                           refresh_seconds=self.config.refresh_seconds)
        self._newest_cache = (-1, np.empty(0, np.int64))
        return self.versions.forget_users(ids, self.state.catalog, neighbours=max(self.config.neighbours,
                                                                                  self.config.per_anchor),
                                          user_cache_size=self.config.user_cache)

    # ------------------------------------------------------------------ shared plumbing
    def _newest(self) -> np.ndarray:
        version, newest = self._newest_cache
        if version != self.state.catalog.version:
            newest = self.state.catalog.newest(max(self.config.new_candidates, self.exploration.newest))
            self._newest_cache = (self.state.catalog.version, newest)
        return newest

    def _inputs(self, bundle: ModelBundle | None, excluded: np.ndarray, options: RerankOptions) -> RerankInputs:
        newest = self._newest()
        promo_pool = np.empty(0, np.int64)
        if options.promotion is not None:
            promo_pool = np.concatenate([self.state.signals.popular_top(1000), newest])
        explore_pool = np.empty(0, np.int64)
        if options.explore:
            explore_pool = self.exploration.draw(self.state.catalog, self.state.signals, newest, self.rng)
        head = np.empty(0, np.int64)
        if options.long_tail:
            head = self.state.signals.popular_head(max(1, int(self.config.head_share * len(self.state.catalog))))
        return RerankInputs(self.state.catalog, self.state.signals, bundle, excluded, promo_pool, explore_pool,
                            self.rng, head)

    def _excluded(self, options: RerankOptions, *extra: np.ndarray) -> np.ndarray:
        """Catalog indices never to show (``extra`` and the request's exclude list)."""
        parts = [*extra, self.state.catalog.indices(options.exclude)] if options.exclude else list(extra)
        return np.concatenate([p.astype(np.int64, copy=False) for p in parts]) if parts else np.empty(0, np.int64)

    def _resolve(self, options: RerankOptions | None, n: int, personal: bool) -> RerankOptions:
        """Fill the service defaults (exploration and diversity of personal lists) and validate."""
        options = options or RerankOptions(filter_seen=personal)
        explore = options.explore
        if explore is None:
            explore = min(self.config.explore, n) if personal else 0
        diversity = options.diversity
        if diversity is None:
            diversity = self.config.diversity if personal else 1.0
        options = replace(options, explore=explore, diversity=diversity)
        options.validate(n)
        return options

    def _respond(self, slots: list[Placed], *, user_id: str | None, bundle: ModelBundle | None, offset: int,
                 anchor_kinds: dict[int, str] | None = None, cold: bool = False, mode: str = "user",
                 extra: dict[str, Any] | None = None) -> Recommendation:
        items = build_items(slots[offset:], self.state.catalog, anchor_kinds or {}, offset, mode)
        rec = Recommendation(new_recommendation_id(), items, user_id, bundle.version if bundle else None, cold,
                             extra or {})
        self.attribution.remember(rec)
        return rec

    def _general_sources(self, merger: CandidateMerger) -> None:
        """Add the trending, new and popular candidates (:meth:`_general_entries`)."""
        merger.add_entries(self._general_entries())

    def _general_entries(self) -> Candidates:
        """The trending, new and popular candidates. They are the same for every request until the signals
        or the catalog change, so their weighted entries are cached like the top lists they come from (at
        most ``refresh_seconds`` stale under a stream of events): the same object until they are rebuilt."""
        signals, catalog = self.state.signals, self.state.catalog
        now = time.monotonic()
        signals_version, catalog_version, at, entries = self._general_cache
        if catalog_version != catalog.version or (signals_version != signals.version
                                                  and now - at >= self.config.refresh_seconds):
            cfg, w = self.config, self.config.weights
            general = CandidateMerger()
            general.add("trending", *trending_source(signals, cfg.trending_window, cfg.trending_candidates),
                        w.trending)
            general.add("new", *new_source(catalog, self._newest(), cfg.new_candidates), w.new)
            general.add("popular", *popular_source(signals, cfg.popular_candidates), w.popular)
            entries = general.entries()
            self._general_cache = (signals.version, catalog.version, now, entries)
        return entries

    def _segment_entry(self, root: int) -> tuple[tuple[int, int, int], float, np.ndarray, np.ndarray] | None:
        """The cached popular items of root category ``root`` (None without a root or segment weight): the
        same tuple until it is rebuilt."""
        if root < 0 or self.config.weights.segment <= 0:
            return None
        signals, catalog = self.state.signals, self.state.catalog
        key = (signals.version, catalog.version, root)
        hit = self._segment_cache.get(root)
        now = time.monotonic()
        stale = hit is not None and hit[0][0] != key[0] and now - hit[1] >= self.config.refresh_seconds
        if hit is None or hit[0][1] != key[1] or stale:
            ids, scores = segment_source(signals, catalog, root, self.config.segment_candidates)
            hit = (key, now, ids, scores)
            if len(self._segment_cache) > 1000:
                self._segment_cache.clear()
            self._segment_cache[root] = hit
        return hit

    def _anchored(self, merger: CandidateMerger, anchors: list[tuple[int, str]], bundle: ModelBundle | None) -> None:
        if anchors:
            ids, scores, anchor_of = similar_source(anchors, bundle, self.state.viewed_together,
                                                    self.config.per_anchor)
            merger.add("similar", ids, scores, self.config.weights.similar, anchor_of, rescaled=True)

    @staticmethod
    def _check_page(n: int, offset: int) -> None:
        if not 1 <= n <= 1000:
            raise RequestError("n", f"must be between 1 and 1000, got {n}")
        if not 0 <= offset <= 10_000:
            raise RequestError("offset", f"must be between 0 and 10000, got {offset}")

    # ------------------------------------------------------------------ reads
    async def prefetch_session(self, user_id: str) -> None:
        """With a shared online state, read ``user_id``'s shared session without blocking the event loop,
        for the :meth:`recommend` call that follows at once (no await in between). Without one, nothing."""
        sessions = self.state.sessions
        if isinstance(sessions, SharedSessions):
            await sessions.prefetch(str(user_id))

    def drop_prefetch(self) -> None:
        """Forget a :meth:`prefetch_session` the request did not use (it failed before reading)."""
        sessions = self.state.sessions
        if isinstance(sessions, SharedSessions):
            sessions.drop_prefetch()

    def recommend(self, user_id: str, n: int = 10, offset: int = 0, options: RerankOptions | None = None,
                  *, version: str | None = None) -> Recommendation:
        """Personal recommendations; a user unknown to the model gets cold-start ones (never an error).

        Sources: the model (known users), items similar to the user's recent items - live session first,
        plus the ``item_id`` of ``options.context`` (the page being viewed) - trending, new and popular.
        ``version`` serves a loaded model version other than the active one (an experiment's variant).
        """
        self._check_page(n, offset)
        options = self._resolve(options, n, personal=True)
        bundle = self.versions.active if version is None else self.versions.get(version)
        ctx = self.state.sessions.context(str(user_id), self.state.history, recent=self.config.anchors)
        anchors = list(ctx.anchors)
        current = options.context.get("item_id")
        here = self.state.catalog.index(current) if current is not None else -1
        if here >= 0:
            anchors = [(here, "view"), *[a for a in anchors if a[0] != here]][: self.config.anchors]
        user = bundle.user_index(str(user_id)) if bundle is not None else -1
        merged, live_model = self._personal_candidates(str(user_id), bundle, user, n + offset, ctx, anchors)
        seen = ctx.seen if options.filter_seen else np.empty(0, np.int64)
        here_arr = np.array([here] if here >= 0 else [], dtype=np.int64)
        # items the user disliked or hid never come back, whatever the options
        excluded = self._excluded(options, seen, ctx.purchased, here_arr, self.state.hidden_items(str(user_id)))
        cands = self._ranked(merged, str(user_id), ctx.seen, options)
        slots = rerank(cands, options, n + offset, self._inputs(bundle, excluded, options))
        return self._respond(slots, user_id=str(user_id), bundle=bundle, offset=offset,
                             anchor_kinds=dict(anchors), cold=user < 0 and not live_model)

    def _personal_candidates(self, user_id: str, bundle: ModelBundle | None, user: int, total: int,
                             ctx: UserContext, anchors: list[tuple[int, str]]) -> tuple[Candidates, bool]:
        """The merged candidates of a personal list (model - from the live session's fold-in when there is
        one -, similar items of the ``anchors``, the user's segment, trending, new and popular), and whether
        the model's came from the live session.

        They depend on nothing but the model version, the user, the live session, the anchors, the catalog
        and the cached general and segment lists, so the last answer of each of the ``candidate_cache`` most
        recent users is kept with all of these and reused while every one is unchanged: a repeated request
        skips the sources and the merge (the same arrays, never modified downstream), and a new event, a
        swap, a catalog change or a refreshed top list makes them anew."""
        k = max(self.config.model_candidates, 3 * total)
        live, live_version = self.state.sessions.live_items(user_id) if bundle is not None else (NO_ITEMS, 0)
        recent = np.array([a for a, _ in anchors], dtype=np.int64) if anchors else \
            np.asarray(ctx.seen[-50:], dtype=np.int64)
        key = (k, live_version, live.tobytes(), bool(anchors), recent.tobytes(), self.state.catalog.version)
        general = self._general_entries()
        hit = self._candidate_cache.get(user_id)
        if (hit is not None and hit.key == key and hit.bundle is bundle and hit.general is general
                and hit.together is self.state.viewed_together and self._segment_entry(hit.root) is hit.segment):
            with self._candidate_lock:
                if user_id in self._candidate_cache:
                    self._candidate_cache.move_to_end(user_id)
            return hit.candidates, hit.live_model
        merger = CandidateMerger()
        live_model = False
        if bundle is not None:
            # a live session moves the user's own vector (factor models that fold in cheaply), and gives a
            # shopper the model has never seen model candidates from their first events
            found = bundle.recommend_live(user, user_id, live, live_version, k) if len(live) else None
            if found is not None:
                merger.add("model", *found, self.config.weights.model)
                live_model = True
            elif user >= 0:
                merger.add("model", *model_source(bundle, user, k), self.config.weights.model)
        self._anchored(merger, anchors, bundle)
        # popular items of the user's segment: the shoppers of the root category of most of the user's
        # recent items, weighted by that share
        root, share = main_root(self.state.catalog, recent)
        segment = self._segment_entry(root)
        if segment is not None:
            merger.add("segment", segment[2], segment[3], self.config.weights.segment * share)
        merger.add_entries(general)
        merged = merger.merge()
        if self.config.candidate_cache > 0:
            entry = CachedCandidates(key, bundle, self.state.viewed_together, general, root, segment, merged,
                                     live_model)
            with self._candidate_lock:
                self._candidate_cache[user_id] = entry
                self._candidate_cache.move_to_end(user_id)
                while len(self._candidate_cache) > self.config.candidate_cache:
                    self._candidate_cache.popitem(last=False)
        return merged, live_model

    def recommend_for_session(self, item_ids: Sequence[str], n: int = 10, offset: int = 0,
                              options: RerankOptions | None = None) -> Recommendation:
        """Recommendations for an anonymous session from its recent items (oldest first, as viewed).
        Unknown item ids are ignored and reported in ``extra["unknown_item_ids"]``."""
        self._check_page(n, offset)
        options = self._resolve(options, n, personal=True)
        bundle = self.versions.active
        idx = self.state.catalog.indices(item_ids)
        unknown = [str(i) for i, c in zip(item_ids, idx, strict=True) if c < 0]
        recent = [int(c) for c in idx[::-1] if c >= 0]
        anchors = [(c, "view") for c in dict.fromkeys(recent)][: self.config.anchors]
        merger = CandidateMerger()
        if bundle is not None and recent:
            # the session's items folded into a user vector (factor models), keyed by the session's items
            session = np.array(list(dict.fromkeys(recent))[::-1], dtype=np.int64)  # oldest first
            key = "session:" + ",".join(map(str, session.tolist()))
            k = max(self.config.model_candidates, 3 * (n + offset))
            found = bundle.recommend_live(-1, key, session, 0, k)
            if found is not None:
                merger.add("model", *found, self.config.weights.model)
        self._anchored(merger, anchors, bundle)
        self._general_sources(merger)
        excluded = self._excluded(options, np.array(recent, dtype=np.int64))
        cands = self._ranked(merger.merge(), None, np.array(recent, dtype=np.int64), options)
        slots = rerank(cands, options, n + offset, self._inputs(bundle, excluded, options))
        return self._respond(slots, user_id=None, bundle=bundle, offset=offset, anchor_kinds=dict(anchors),
                             cold=not anchors, extra={"unknown_item_ids": unknown})

    def rerank(self, item_ids: Sequence[str], user_id: str | None = None, n: int | None = None,
               options: RerankOptions | None = None) -> Recommendation:
        """Re-rank a given list: model scores for a known user, else popularity, then the re-ranking
        stages. Unknown item ids are left out and reported in ``extra["unknown_item_ids"]``."""
        idx = self.state.catalog.indices(item_ids)
        listed = np.zeros(len(idx), dtype=bool)
        listed[idx >= 0] = self.state.catalog.listed[idx[idx >= 0]]
        unknown = [str(i) for i, ok in zip(item_ids, listed, strict=True) if not ok]
        ids = np.unique(idx[listed])
        n = n or max(1, len(ids))
        self._check_page(n, 0)
        options = self._resolve(options, n, personal=False)
        bundle = self.versions.active
        user = bundle.user_index(str(user_id)) if bundle is not None and user_id is not None else -1
        excluded = self._excluded(options)
        anchors: list[tuple[int, str]] = []
        if user_id is not None:
            ctx = self.state.sessions.context(str(user_id), self.state.history, recent=self.config.anchors)
            anchors = ctx.anchors
            excluded = self._excluded(options, ctx.seen if options.filter_seen else np.empty(0, np.int64),
                                      ctx.purchased if options.filter_seen else np.empty(0, np.int64),
                                      self.state.hidden_items(str(user_id)))
        source = "model" if user >= 0 else "popular"
        if user >= 0 and bundle is not None:
            scores = bundle.scores_for(user, ids)
            scores = np.where(np.isnan(scores), np.nanmin(scores) if np.isfinite(scores).any() else 0.0, scores)
        else:
            scores = self.state.signals.popularity_of(ids)
        merger = CandidateMerger()
        merger.add(source, ids, scores, 1.0)
        slots = rerank(merger.merge(), options, n, self._inputs(bundle, excluded, options))
        return self._respond(slots, user_id=user_id, bundle=bundle, offset=0, anchor_kinds=dict(anchors),
                             cold=user < 0, extra={"unknown_item_ids": unknown})

    def _item_index(self, item_id: str) -> int:
        if not self.state.catalog.is_known(item_id):
            raise UnknownIdError("item", item_id)
        return self.state.catalog.index(item_id)

    def similar_items(self, item_id: str, n: int = 10, options: RerankOptions | None = None) -> Recommendation:
        """Items like ``item_id``: the model's similar items and co-viewed items, then popular items of the
        same category. Raises :class:`UnknownIdError` for an unknown item."""
        self._check_page(n, 0)
        options = self._resolve(options, n, personal=False)
        c = self._item_index(item_id)
        bundle = self.versions.active
        merger = CandidateMerger()
        self._anchored(merger, [(c, "view")], bundle)
        merger.add("popular", *self._same_category_popular(c), 0.2)
        slots = rerank(merger.merge(), options, n, self._inputs(bundle, self._excluded(options, np.array([c])),
                                                                 options))
        return self._respond(slots, user_id=None, bundle=bundle, offset=0, mode="item")

    def _same_category_popular(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        cat = self.state.catalog
        top = self.state.signals.popular_top(2000)
        if cat.root[c] < 0 or len(top) == 0:
            return np.empty(0, np.int64), np.empty(0)
        same = top[(cat.category[top] == cat.category[c]) | (cat.root[top] == cat.root[c])][:100]
        return same, self.state.signals.popularity_of(same)

    def bought_together(self, item_id: str, n: int = 10, options: RerankOptions | None = None) -> Recommendation:
        """Items bought (purchased or carted) in the same baskets as ``item_id``; co-viewed items fill in
        when purchases are too few. Raises :class:`UnknownIdError` for an unknown item."""
        self._check_page(n, 0)
        options = self._resolve(options, n, personal=False)
        c = self._item_index(item_id)
        merger = CandidateMerger()
        ids, scores = self.state.bought_together.neighbours(c, 3 * n + 20)
        merger.add("bought_together", ids, scores, 1.0, np.full(len(ids), c))
        ids, scores = self.state.viewed_together.neighbours(c, 3 * n + 20)
        merger.add("similar", ids, scores, 0.3, np.full(len(ids), c))
        bundle = self.versions.active
        slots = rerank(merger.merge(), options, n, self._inputs(bundle, self._excluded(options, np.array([c])),
                                                                 options))
        return self._respond(slots, user_id=None, bundle=bundle, offset=0, mode="together")

    def trending(self, window: str = "24h", n: int = 10, offset: int = 0, filters: Sequence[Rule] = ()
                 ) -> Recommendation:
        """The items with the most weighted events in ``window`` (1h, 24h or 7d), live."""
        if window not in WINDOWS:
            raise RequestError("window", f"unknown window {window!r}; expected one of {', '.join(WINDOWS)}")
        self._check_page(n, offset)
        ids = self.state.signals.trending_top(window, max(200, 5 * (n + offset)))
        ok = self.state.catalog.is_available(ids)
        for rule in filters:
            ok &= rule.mask(self.state.catalog, ids)
        ids = ids[ok][: n + offset]
        scores = self.state.signals.trending_score(window, ids)
        slots = [Placed(int(i), float(s), SOURCE_CODE["trending"]) for i, s in zip(ids, scores, strict=True)]
        return self._respond(slots, user_id=None, bundle=self.versions.active, offset=offset,
                             extra={"window": window})

    # ------------------------------------------------------------------ status
    def status(self) -> dict[str, Any]:
        bundle = self.versions.active
        ranker = self.ranker
        return {"model": bundle.info() if bundle else None, "ranker": ranker.info() if ranker else None,
                "catalog_items": len(self.state.catalog),
                "live_sessions": len(self.state.sessions), "event_clock": self.state.signals.clock,
                "online_state": self.state.online.describe()}
