from shopmind.search.analysis import Analyzer, normalise, pinyin_keys


def test_chinese_is_segmented_and_traditional_folded() -> None:
    a = Analyzer()
    assert a.tokens("女士雙肩包") == a.tokens("女士双肩包")
    assert "双肩包" in a.tokens("女士双肩包")
    assert a.tokens("女士双肩包", query=True) == ["女士", "双肩包"]


def test_english_is_stemmed_and_stopwords_dropped() -> None:
    assert Analyzer().tokens("The Running Shoes for Women") == ["run", "shoe", "women"]


def test_normal_form_drops_control_characters_and_full_width() -> None:
    assert normalise("ＡＢＣ\x00d") == "abc d"


def test_pinyin_keys_full_and_initials() -> None:
    assert pinyin_keys("连衣裙") == ("lianyiqun", "lyq")
    assert pinyin_keys("shoes") == ()
