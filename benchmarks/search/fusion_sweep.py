"""Fusion variants re-scored on captured inputs (``tune_fusion.py capture``), tuning halves and our first sets
only - held-out rows are dropped when the captures are loaded, so nothing here can look at them.

    python benchmarks/search/fusion_sweep.py demo.pkl amazon.pkl --sweep > results/fusion-sweep.txt

Variants of RRF: the cosine gate on dense-only hits (always / only when every query word matched as written
and some item matched enough words / never), k, the lexical weight when no item matches enough words, a
lexical weight scaled by the share of words matched as written, and the weight of partial lexical matches.
"""
import pickle, sys, itertools, json
import numpy as np
sys.path.insert(0, "benchmarks/search")
from shopmind.search.evaluate import ndcg_at
from shopmind.search.fusion import RRFFusion, AdaptiveFusion, FusionInput, rrf, _gate

datas = []
for p in [a for a in sys.argv[1:] if a.endswith(".pkl")]:
    d = pickle.load(open(p, "rb"))
    d["rows"] = [r for r in d["rows"] if r["split"] != "heldout"]
    datas.append(d)

def score(fuse, split, kinds=False):
    out = {}
    for d in datas:
        ids = d["ids"]
        for s in sorted({r["set"] for r in d["rows"]}):
            rows = [r for r in d["rows"] if r["set"] == s and r["split"] == split]
            if not rows: continue
            vals = []
            bk = {}
            for r in rows:
                if fuse in ("bm25", "dense"):
                    ranked = r["ids"][fuse]
                else:
                    inp = r["input"]
                    ranked = r["ids"]["hybrid"] if inp is None else [ids[x] for x in fuse(inp)[0][:100].tolist()]
                v = ndcg_at(r["judgments"], ranked); vals.append(v); bk.setdefault(r["kind"], []).append(v)
            out[s] = round(float(np.mean(vals)), 4)
            if kinds: out[s + ":kinds"] = {k: round(float(np.mean(v)), 3) for k, v in bk.items()}
    return out

def report(name, fuse, kinds=False):
    print(name, "tune", score(fuse, "tune", kinds), "ours", score(fuse, "ours"))

if __name__ == "__main__":
    report("bm25", "bm25"); report("dense", "dense"); report("rrf", RRFFusion())
    report("adaptive", AdaptiveFusion())
    report("adaptive-best-demo", AdaptiveFusion(lo=0.6, hi=1.5, loose=0.5, gate_at=0.99))

from dataclasses import dataclass
@dataclass(frozen=True)
class V:
    k: float = 60
    gate: str = "always"   # always | confident | never
    w_nostrict: float = 1.0   # lexical weight when no item matches enough words
    w_partial: float = 1.0    # lexical weight scaled by exact share: w = w_partial**(1-share)
    loose: float = 1.0
    def __call__(self, inp):
        c = inp.confidence()
        if self.gate == "always" or (self.gate == "confident" and c >= 0.99):
            dd = _gate(inp, 0.82, 0.04)[0]
        else:
            dd = inp.dense_docs
        share = inp.exact / max(inp.clauses, 1)
        w = (self.w_partial ** (1 - share)) * (1.0 if inp.strict > 0 else self.w_nostrict)
        score = {}
        for rank, d in enumerate(inp.lex_docs.tolist(), 1):
            ww = w if rank <= inp.strict else w * self.loose
            score[d] = score.get(d, 0.0) + ww / (self.k + rank)
        for rank, d in enumerate(dd.tolist(), 1):
            score[d] = score.get(d, 0.0) + 1.0 / (self.k + rank)
        items = sorted(score.items(), key=lambda kv: -kv[1])
        return np.array([d for d, _ in items], dtype=np.int64), None

def sweep():
    for gate in ("always", "confident", "never"):
        for k in (20, 60):
            for wn in (1.0, 0.5):
                for wp in (1.0, 0.5):
                    for loose in (1.0, 0.5):
                        report(f"V gate={gate} k={k} wn={wn} wp={wp} loose={loose}", V(k, gate, wn, wp, loose))
if len(sys.argv) > 1 and "--sweep" in sys.argv[-1:]:
    pass
if "--sweep" in sys.argv:
    sweep()
