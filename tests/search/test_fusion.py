import numpy as np
import pytest

from shopmind.search.fusion import AdaptiveFusion, FusionInput, RRFFusion, make_fusion, rrf


def test_rrf_rewards_agreement() -> None:
    docs, scores = rrf({"a": np.array([1, 2, 3]), "b": np.array([3, 1])}, k=60)
    assert docs.tolist()[:2] == [1, 3] and scores[0] > scores[-1]
    assert rrf({})[0].tolist() == []


def _input(exact: int, strict: int = 3, clauses: int = 2) -> FusionInput:
    # lexical: 1, 2, 3 match the query's words; dense: 9 (not a lexical match) first, then 3, 2
    return FusionInput(np.array([1, 2, 3, 4]), np.array([4.0, 3.0, 2.0, 1.0], dtype=np.float32), strict,
                       np.array([9, 3, 2]), np.array([0.90, 0.88, 0.87], dtype=np.float32),
                       clauses=clauses, resolved=clauses, exact=exact)


def test_confidence_is_the_share_of_words_matched_as_written() -> None:
    assert _input(exact=2).confidence() == 1.0
    assert _input(exact=1).confidence() == 0.5
    assert _input(exact=2, strict=0).confidence() == 0.5  # no item has enough of the words
    empty = FusionInput(np.empty(0, np.int64), np.empty(0, np.float32), 0, np.array([9]), np.array([0.9]))
    assert empty.confidence() == 0.0


def test_adaptive_keeps_exact_matches_above_a_dense_only_neighbour() -> None:
    fuse = AdaptiveFusion(k=60, lo=0.3, hi=3.0, loose=0.5, gate_at=0.99)
    docs, _ = fuse(_input(exact=2, strict=4))
    assert set(docs.tolist()[:4]) == {1, 2, 3, 4} and docs.tolist()[4] == 9
    # plain RRF puts the dense-only neighbour above an item that matches every word
    rrf_docs = RRFFusion(floor=0.0, margin=1.0)(_input(exact=2, strict=4))[0].tolist()
    assert rrf_docs.index(9) < rrf_docs.index(4)


def test_adaptive_trusts_dense_when_the_words_are_not_the_catalogs() -> None:
    fuse = AdaptiveFusion(k=60, lo=0.3, hi=3.0, loose=0.5, gate_at=0.99)
    docs, _ = fuse(_input(exact=0, strict=0))
    assert set(docs.tolist()[:3]) == {9, 3, 2}  # lexical-only 1 falls below every dense hit


def test_adaptive_gates_dense_only_hits_only_when_confident() -> None:
    inp = FusionInput(np.array([1]), np.array([1.0], dtype=np.float32), 1, np.array([9, 1]),
                      np.array([0.70, 0.69], dtype=np.float32), clauses=1, resolved=1, exact=1)
    assert 9 not in AdaptiveFusion(floor=0.82)(inp)[0].tolist()
    vague = FusionInput(inp.lex_docs, inp.lex_scores, 0, inp.dense_docs, inp.dense_cos, clauses=3, resolved=3,
                        exact=1)
    assert 9 in AdaptiveFusion(floor=0.82)(vague)[0].tolist()


def test_make_fusion() -> None:
    assert isinstance(make_fusion("rrf"), RRFFusion)
    assert isinstance(make_fusion("adaptive"), AdaptiveFusion)
    with pytest.raises(ValueError, match="unknown fusion"):
        make_fusion("magic")
    assert make_fusion("adaptive")(FusionInput(np.empty(0, np.int64), np.empty(0, np.float32), 0,
                                               np.empty(0, np.int64), np.empty(0, np.float32)))[0].tolist() == []


def test_the_english_list_reorders_the_candidates_and_brings_nothing_new() -> None:
    # lexical 1, 2, 3; dense 9 (gated out: below the floor), 3; English: 3 first, then 9 (not a candidate), 2, 1
    base = dict(lex_docs=np.array([1, 2, 3]), lex_scores=np.array([3.0, 2.0, 1.0], dtype=np.float32), strict=3,
                dense_docs=np.array([9, 3]), dense_cos=np.array([0.70, 0.69], dtype=np.float32))
    plain = RRFFusion()(FusionInput(**base))[0].tolist()  # type: ignore[arg-type]
    assert plain == [3, 1, 2]
    english = FusionInput(**base, english_docs=np.array([3, 9, 2, 1]))  # type: ignore[arg-type]
    assert english.english(english.lex_docs, np.array([3])).tolist() == [3, 2, 1]
    docs = RRFFusion(english=2.0)(english)[0].tolist()
    assert docs == [3, 2, 1] and 9 not in docs
    assert RRFFusion(english=0.0)(english)[0].tolist() == plain  # weight 0: as without the English side
    assert 9 not in AdaptiveFusion()(english)[0].tolist()
    assert FusionInput(**base).english(english.lex_docs) is None  # type: ignore[arg-type]


def _rrf_one_by_one(ranked: dict[str, np.ndarray], k: float = 60, weights: dict[str, float] | None = None
                    ) -> tuple[list[int], list[float]]:
    """RRF by the definition, one document at a time (the first version)."""
    score: dict[int, float] = {}
    for name, docs in ranked.items():
        w = 1.0 if weights is None else float(weights.get(name, 1.0))
        for rank, d in enumerate(np.asarray(docs).tolist(), 1):
            score[d] = score.get(d, 0.0) + w / (k + rank)
    items = sorted(score.items(), key=lambda kv: -kv[1])
    return [d for d, _ in items], np.array([s for _, s in items], dtype=np.float32).tolist()


@pytest.mark.parametrize("seed", range(30))
def test_rrf_by_arrays_equals_rrf_one_document_at_a_time(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool = int(rng.integers(1, 400))
    ranked = {name: rng.choice(pool, size=int(rng.integers(0, min(pool, 250) + 1)), replace=False)
              for name in ("bm25", "dense", "english")[: int(rng.integers(1, 4))]}
    if seed % 5 == 0:  # a list naming a document twice counts it twice
        ranked["dup"] = np.array([3, 3, 1, 3])
    k = [60, 1, 60.5][seed % 3]
    weights = None if seed % 2 else {"english": 1.5}
    docs, scores = rrf(ranked, k=k, weights=weights)
    want_docs, want_scores = _rrf_one_by_one(ranked, k, weights)
    assert docs.tolist() == want_docs and scores.dtype == np.float32 and scores.tolist() == want_scores
    # equal contributions tie: the order of first appearance decides
    tied, _ = rrf({"a": np.array([5, 7]), "b": np.array([7, 5])})
    assert tied.tolist() == [5, 7]
