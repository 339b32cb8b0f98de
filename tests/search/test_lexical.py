from shopmind.search.lexical import LexicalIndex


def test_idf_and_field_weights_and_tombstones() -> None:
    index = LexicalIndex({"title": 3.0, "description": 0.5})
    index.add(0, {"title": ["tea"], "description": []})
    index.add(1, {"title": [], "description": ["tea"]})
    index.add(2, {"title": ["mug"]})
    docs, scores = index.term_scores("tea")
    by_doc = dict(zip(docs.tolist(), scores.tolist(), strict=True))
    assert by_doc[0] > by_doc[1] > 0
    index.delete(0)
    assert index.df("tea") == 1 and index.term_scores("tea")[0].tolist() == [1]
    index.compact()
    assert index.term_scores("tea")[0].tolist() == [1]
