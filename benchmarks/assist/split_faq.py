"""Split the FAQ benchmark's questions by topic into a tuning half and a held-out half.

The matcher's weights and centering (``WEIGHTS``, ``CENTERING``; ``tune_faq.py``) and its hand-off
thresholds (``THRESHOLD``, ``THRESHOLD_PARAPHRASE``) in ``src/shopmind/assist/faq.py`` were chosen on the
*tuning* half only: topics (the ``faq_id`` before the dot) in sorted order, every other one (index 0, 2, ...),
with every other out-of-scope question (rows 0, 2, ...). The held-out half (the other topics, the other
out-of-scope rows) was not looked at while tuning. ``questions_check.jsonl`` / ``out_of_scope_check.jsonl``
were written by hand after the tuning as a further check (one new paraphrase per entry, 20 new off-topic
questions); ``questions_check2.jsonl`` / ``out_of_scope_check2.jsonl`` (two more paraphrases per entry, 40
off-topic questions) before the second round of ideas was scored (docs/assist.md).

    python benchmarks/assist/split_faq.py      # writes benchmarks/assist/split/*.jsonl
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    questions = [json.loads(x) for x in (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines() if x]
    oos = [json.loads(x) for x in (HERE / "out_of_scope.jsonl").read_text(encoding="utf-8").splitlines() if x]
    topics = sorted({q["faq_id"].split(".")[0] for q in questions})
    tuning = {t for i, t in enumerate(topics) if i % 2 == 0}
    out = HERE / "split"
    out.mkdir(exist_ok=True)
    parts = {"tuning": ([q for q in questions if q["faq_id"].split(".")[0] in tuning], oos[0::2]),
             "heldout": ([q for q in questions if q["faq_id"].split(".")[0] not in tuning], oos[1::2])}
    for name, (qs, os_) in parts.items():
        for kind, rows in (("questions", qs), ("out_of_scope", os_)):
            (out / f"{name}.{kind}.jsonl").write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{name}: {len(qs)} questions, {len(os_)} out of scope")


if __name__ == "__main__":
    main()
