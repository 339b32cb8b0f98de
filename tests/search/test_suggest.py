from shopmind.search.suggest import Suggester


def test_prefix_pinyin_and_initials() -> None:
    s = Suggester()
    s.add("连衣裙", "category", 5)
    s.add("Linen Shirt", "title", 1)
    s.add("linen", "query", 9)
    assert [x["text"] for x in s.suggest("lin")] == ["linen", "Linen Shirt"]
    assert [x["text"] for x in s.suggest("lianyi")] == ["连衣裙"]
    assert [x["text"] for x in s.suggest("lyq")] == ["连衣裙"]
    assert [x["text"] for x in s.suggest("連衣")] == ["连衣裙"]
    assert s.suggest("zzz") == []
