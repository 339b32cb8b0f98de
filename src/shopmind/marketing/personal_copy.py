"""Personal copy from the live recommender: the slate a headline or e-mail talks about is the one the online
pipeline would show the user (model, rules, diversity and exploration included), and the copy says why it
fits them from their history and customer profile.

Content (:mod:`shopmind.content`) sits below the pipeline and the customer profiles, so it cannot ask them
itself; this module, above all three, reads the slate from :class:`~shopmind.pipeline.RecommendationService`,
the history from the store, the usual price range from the customer profile (``shopmind customers refresh``;
without a profile, the interquartile range of the prices of the items in the history), and hands the content
service plain data: items, a :class:`~shopmind.content.request.UserContext` and, per slate item, the history
item the recommender picked it for.

>>> copy = PersonalCopy(store, ContentService(), recommender=service)         # doctest: +SKIP
>>> out = copy.headline("U00042", lang="zh", k=5)                            # doctest: +SKIP
>>> out.parts["slate_source"]                                                # doctest: +SKIP
'pipeline'

Without a recommender (the CLI before any model is trained), ``fallback_slate`` picks the items from the
history alone (:func:`shopmind.content.slate.similar_slate`); ``parts["slate_source"]`` then says
``"similar"``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shopmind.content.facts import ItemLike
from shopmind.content.lexicon import Lang
from shopmind.content.request import ContentType, GeneratedText, Tone, UserContext
from shopmind.content.service import ContentService
from shopmind.content.slate import user_history
from shopmind.errors import ShopmindError, UnknownIdError
from shopmind.pipeline.service import RecommendationService
from shopmind.storage.base import Store

#: (history item ids, newest first; k) -> slate item ids, used when there is no recommender.
FallbackSlate = Callable[[Sequence[str], int], list[str]]


@dataclass
class Slate:
    """The items a personal text is about and why the recommender chose each."""

    items: list[dict[str, Any]]
    because: dict[str, str] = field(default_factory=dict)
    source: str = "pipeline"  # pipeline | similar
    recommendation_id: str | None = None


class PersonalCopy:
    """Headlines, reasons, e-mails and push messages for one user over their recommendation slate.

    Parameters
    ----------
    store:
        Where the user's events, the items and the customer profiles are read.
    content:
        The content service that writes and checks the copy.
    recommender:
        The online pipeline the slate comes from (None: ``fallback_slate``).
    fallback_slate:
        Slate ids from the history when there is no recommender.
    history_size:
        How many recent items of the history the copy may draw on.
    """

    def __init__(self, store: Store, content: ContentService, *, recommender: RecommendationService | None = None,
                 fallback_slate: FallbackSlate | None = None, history_size: int = 10) -> None:
        if recommender is None and fallback_slate is None:
            raise ShopmindError("PersonalCopy needs a recommender or a fallback slate")
        self.store = store
        self.content = content
        self.recommender = recommender
        self.fallback_slate = fallback_slate
        self.history_size = history_size

    # ------------------------------------------------------------------ what the copy is built from
    def item(self, item_id: str) -> dict[str, Any] | None:
        return self.store.get_item(item_id)

    def history(self, user_id: str) -> list[tuple[dict[str, Any], str]]:
        """The user's recent positive events as (item record, event type), newest first, one per item. An
        unknown user (no record, no event) is an :class:`UnknownIdError`."""
        events = self.store.events_frame(user_ids=[str(user_id)])
        if events.empty and self.store.get_user(str(user_id)) is None:
            raise UnknownIdError("user", user_id)
        out = []
        for item_id, kind in user_history(events, str(user_id), self.history_size):
            item = self.item(item_id)
            if item is not None:
                out.append((item, kind))
        return out

    def price_band(self, user_id: str, history: Sequence[tuple[Mapping[str, Any], str]]) -> tuple[float, float] | None:
        """The user's usual price range: the profile's (prices paid), else the interquartile range of the prices
        of three or more history items; None when neither is known."""
        profile = self.store.get_profile(str(user_id))
        band = (profile or {}).get("price_range") or {}
        low, high = band.get("low"), band.get("high")
        if isinstance(low, int | float) and isinstance(high, int | float) and np.isfinite([low, high]).all():
            return float(low), float(high)
        prices = [float(p) for item, _ in history if isinstance(p := item.get("price"), int | float) and p > 0]
        if len(prices) < 3:
            return None
        q = np.quantile(prices, [0.25, 0.75])
        return float(q[0]), float(q[1])

    def user(self, user_id: str) -> UserContext:
        """What personal copy may say about the user: history, top categories and brands, price range."""
        history = self.history(user_id)
        base = self.content.user(history, user_id=user_id)
        ctx = base if base is not None else UserContext(user_id=user_id)
        return ctx.model_copy(update={"price_band": self.price_band(user_id, history)})

    def slate(self, user_id: str, user: UserContext, k: int) -> Slate:
        """The user's slate: the pipeline's personal list, else the fallback from the history."""
        if self.recommender is not None:
            rec = self.recommender.recommend(str(user_id), n=k)
            items, because = [], {}
            for r in rec.items:
                item = self.item(r.item_id)
                if item is None:  # an item only the model knows: nothing to say about it
                    continue
                items.append(item)
                if r.because_item_id:
                    because[r.item_id] = r.because_item_id
            return Slate(items, because, "pipeline", rec.recommendation_id)
        if self.fallback_slate is None:  # pragma: no cover - excluded by __init__
            raise ShopmindError("no recommender and no fallback slate")
        ids = self.fallback_slate([e.item.item_id for e in user.history], k)
        return Slate([i for x in ids if (i := self.item(x)) is not None], {}, "similar")

    # ------------------------------------------------------------------ copy
    def write(self, content_type: ContentType | str, user_id: str, *, k: int = 5, lang: Lang = "en",
              tone: Tone | str = Tone.FRIENDLY, seed: int = 0) -> GeneratedText:
        """A personal text (reco_headline, reco_reasons, email or push) over the user's slate; ``parts`` also
        hold ``slate_source`` and the pipeline's ``recommendation_id``."""
        ctype = ContentType(content_type)
        if ctype not in (ContentType.RECO_HEADLINE, ContentType.RECO_REASONS, ContentType.EMAIL, ContentType.PUSH):
            raise ShopmindError(f"{ctype.value} is not a personal content type")
        user = self.user(user_id)
        slate = self.slate(user_id, user, k)
        if not slate.items:
            raise ShopmindError(f"nothing to recommend to user {user_id!r}: the slate is empty")
        items: list[ItemLike] = list(slate.items)
        request = self.content.request(ctype, items, lang=lang, tone=tone, user=user, seed=seed)
        request = request.model_copy(update={"because": slate.because})
        out = self.content.generate(request)  # the cache's own object: copied, never changed in place
        parts = {**out.parts, "slate_source": slate.source, "recommendation_id": slate.recommendation_id}
        return out.model_copy(update={"parts": parts, "user_id": str(user_id)})

    def headline(self, user_id: str, **options: Any) -> GeneratedText:
        return self.write(ContentType.RECO_HEADLINE, user_id, **options)

    def email(self, user_id: str, **options: Any) -> GeneratedText:
        return self.write(ContentType.EMAIL, user_id, **options)
