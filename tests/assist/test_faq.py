"""FAQ matching with abstention on a small bilingual FAQ (lexical: no model in unit tests)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from shopmind.assist.faq import FaqEntry, FaqMatcher, calibrate, evaluate_faq, read_faq
from shopmind.errors import DataError

FAQ = [
    FaqEntry("ship.en", "en", "How much does shipping cost?", "Free over ¥99, else ¥10.", "shipping"),
    FaqEntry("ship.zh", "zh", "运费是多少？", "满99元包邮。", "shipping"),
    FaqEntry("return.en", "en", "What is your return policy?", "7-day returns.", "returns"),
    FaqEntry("return.zh", "zh", "退货政策是什么？", "7天无理由退货。", "returns"),
    FaqEntry("pay.en", "en", "What payment methods do you accept?", "Alipay, WeChat Pay, cards.", "payment"),
]


def test_paraphrases_match_in_their_language() -> None:
    m = FaqMatcher(FAQ)
    assert m.answer("is shipping free?").faq_id == "ship.en"
    assert m.answer("运费要多少").faq_id == "ship.zh"
    assert m.answer("can I return an item").faq_id == "return.en"
    a = m.answer("退货政策")
    assert a.faq_id == "return.zh" and not a.handoff and a.confidence > 0


@pytest.mark.parametrize("question", ["tell me a joke", "明天天气怎么样", "", "😀", "who won the match"])
def test_out_of_scope_hands_off(question: str) -> None:
    a = FaqMatcher(FAQ).answer(question)
    assert a.handoff and a.faq_id is None and a.answer


def test_evaluate_and_calibrate() -> None:
    m = FaqMatcher(FAQ)
    qs = [{"text": "shipping cost?", "lang": "en", "faq_id": "ship.en"},
          {"text": "退货政策", "lang": "zh", "faq_id": "return.zh"}]
    oos = [{"text": "tell me a joke", "lang": "en"}, {"text": "明天天气", "lang": "zh"}]
    out = evaluate_faq(m, qs, oos)
    assert out["top1_accuracy"] == 1.0 and out["oos_f1"] == 1.0 and set(out["by_lang"]) == {"en", "zh"}
    assert 0.1 <= calibrate(m, qs, oos) <= 0.9


def test_read_faq(tmp_path: Path) -> None:
    p = tmp_path / "faq.jsonl"
    p.write_text(json.dumps({"question": "运费?", "answer": "包邮"}, ensure_ascii=False) + "\n")
    assert read_faq(p)[0].lang == "zh"
    p.write_text('{"question": "x"}\n')
    with pytest.raises(DataError, match="row 1"):
        read_faq(p)


def test_paraphrase_encoder_scores_english_only() -> None:
    from shopmind.text.encoders import HashingEncoder  # lazy: only this test needs an encoder

    enc = HashingEncoder()
    plain = FaqMatcher(FAQ, enc)
    para = FaqMatcher(FAQ, enc, paraphrase_encoder=HashingEncoder(seed=1), paraphrase_threshold=-10.0)
    assert para.para_questions is not None and not para.para_questions[~para.english].any()
    _, _, en_plain = plain.scores("how much is shipping")
    _, _, en_para = para.scores("how much is shipping")
    assert (en_para[para.english] != en_plain[para.english]).all()
    # a Chinese question is scored by the multilingual encoder alone
    _, _, zh_plain = plain.scores("运费多少")
    _, _, zh_para = para.scores("运费多少")
    assert np.allclose(zh_plain, zh_para)
    # the English hand-off threshold applies to English questions: -10 accepts anything English
    assert not para.answer("tell me a joke").handoff
    assert FaqMatcher(FAQ, enc, paraphrase_encoder=None).paraphrase_encoder is None
