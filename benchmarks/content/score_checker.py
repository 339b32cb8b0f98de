"""Score the checker on labelled cases from the output of ``shopmind content audit``.

    shopmind content audit benchmarks/content/checker-heldout.jsonl -o /tmp/heldout.out.jsonl
    python benchmarks/content/score_checker.py benchmarks/content/checker-heldout.jsonl /tmp/heldout.out.jsonl \
        [--json benchmarks/measured/content-checker.json --name heldout] [--show 10]

A planted case is *caught* when its line is flagged (a claim contradicted or unsupported) and *caught at the
span* when a flagged claim overlaps the planted false fact; a faithful case is a *false alarm* when its line is
flagged. Errors (malformed lines) count as neither and are reported.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from statsmodels.stats.proportion import proportion_confint


def score(cases: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, Any]:
    if len(cases) != len(results):
        raise SystemExit(f"{len(cases)} cases but {len(results)} audit lines")
    groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses, alarms = [], []
    for case, res in zip(cases, results, strict=True):
        flagged = [c for c in res.get("claims", []) if c["verdict"] != "supported"]
        keys = ["all", f"source={case['source']}", f"lang={case['lang']}"]
        if case["label"] == "planted":
            keys.append(f"attribute={case['attribute']}")
        for k in keys:
            g = groups[k]
            if res.get("error"):
                g["errors"] += 1
                continue
            if case["label"] == "planted":
                g["planted"] += 1
                mark = str(case["planted"]).lower()
                at_span = any(c["text"].lower() in mark or mark in c["text"].lower() for c in flagged)
                g["caught"] += bool(flagged)
                g["caught_at_span"] += at_span
                g["verdict_" + next((c["verdict"] for c in flagged if c["text"].lower() in mark
                                     or mark in c["text"].lower()), "none")] += 1
                if not flagged and k == "all":
                    misses.append({"id": case["id"], "text": case["text"], "planted": case["planted"],
                                   "claims": res.get("claims", [])})
            else:
                g["faithful"] += 1
                g["false_alarms"] += bool(flagged)
                if flagged and k == "all":
                    alarms.append({"id": case["id"], "text": case["text"], "flagged": flagged})
    table = {}
    for k, g in sorted(groups.items()):
        row: dict[str, Any] = dict(g)
        if g["planted"]:
            row["caught_rate"] = round(g["caught"] / g["planted"], 4)
            row["caught_rate_wilson95"] = [round(x, 4) for x in proportion_confint(g["caught"], g["planted"],
                                                                                 method="wilson")]
            row["caught_at_span_rate"] = round(g["caught_at_span"] / g["planted"], 4)
        if g["faithful"]:
            row["false_alarm_rate"] = round(g["false_alarms"] / g["faithful"], 4)
            row["false_alarm_rate_wilson95"] = [round(x, 4) for x in proportion_confint(
                g["false_alarms"], g["faithful"], method="wilson")]
        table[k] = row
    return {"groups": table, "misses": misses, "false_alarms": alarms}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", type=Path)
    ap.add_argument("audit", type=Path)
    ap.add_argument("--json", type=Path, help="merge the result into this JSON file under --name")
    ap.add_argument("--name", default=None)
    ap.add_argument("--show", type=int, default=5, help="misses and false alarms to print")
    args = ap.parse_args(argv)
    cases = [json.loads(x) for x in args.cases.read_text(encoding="utf-8").splitlines() if x.strip()]
    results = [json.loads(x) for x in args.audit.read_text(encoding="utf-8").splitlines() if x.strip()]
    out = score(cases, results)
    a = out["groups"]["all"]
    ci_c, ci_f = a.get("caught_rate_wilson95", [0, 0]), a.get("false_alarm_rate_wilson95", [0, 0])
    print(f"{args.cases.name}: {len(cases)} cases; planted caught {a.get('caught', 0)}/{a.get('planted', 0)} "
          f"({a.get('caught_rate', 0):.1%}, 95% CI {ci_c[0]:.1%}-{ci_c[1]:.1%}; at the span "
          f"{a.get('caught_at_span_rate', 0):.1%}); faithful flagged {a.get('false_alarms', 0)}/{a.get('faithful', 0)} "
          f"({a.get('false_alarm_rate', 0):.1%}, 95% CI {ci_f[0]:.1%}-{ci_f[1]:.1%}); errors {a.get('errors', 0)}")
    for k, row in out["groups"].items():
        if k != "all":
            print(f"  {k:28s} caught {row.get('caught', 0)}/{row.get('planted', 0)}  "
                  f"false alarms {row.get('false_alarms', 0)}/{row.get('faithful', 0)}")
    for m in out["misses"][:args.show]:
        print("MISS", m["id"], m["planted"], "|", m["text"], file=sys.stderr)
    for f in out["false_alarms"][:args.show]:
        print("ALARM", f["id"], [(c["text"], c["verdict"], c.get("reason", "")) for c in f["flagged"]], "|", f["text"],
              file=sys.stderr)
    if args.json:
        doc = json.loads(args.json.read_text()) if args.json.exists() else {}
        doc[args.name or args.cases.stem] = {"cases": str(args.cases), "groups": out["groups"],
                                             "misses": out["misses"], "false_alarms": out["false_alarms"]}
        args.json.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
