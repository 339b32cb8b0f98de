#!/usr/bin/env bash
# `make bench`: the accuracy benchmarks of ../shared/BENCHMARKS.md section 1, every model side by side
# under one protocol (leave-one-out by time, full ranking over all items, history excluded).
# Usage: benchmarks/run.sh [OUT_DIR]; env: SHARED (data folder), MODELS (comma list), DATASETS.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-benchmarks/results}
SHARED=${SHARED:-../shared/data}
MODELS=${MODELS:-random,popular,itemknn,seqknn,userknn,ease,als,bpr,content,hybrid,sasrec}
DATASETS=${DATASETS:-ml-100k beauty}
BIN=.venv/bin
mkdir -p "$OUT"
for ds in $DATASETS; do
  case "$ds" in
    ml-100k) data="$SHARED/ml-100k"; [ -d "$data" ] || data=ml-100k ;;  # else fetched from the recbole wheel
    beauty)  data="$SHARED/amazon-beauty/user_sequence.txt" ;;
    ml-1m)   data="$SHARED/ml-1m/ml-1m_sasrec.txt.gz" ;;
    *)       data="$ds" ;;
  esac
  if [ "$data" != ml-100k ] && [ ! -e "$data" ]; then
    echo "skip $ds: $data not found (set SHARED=...)" >&2
    continue
  fi
  echo "== $ds ($data)"
  "$BIN/shopmind" bench --data "$data" --models "$MODELS" --out "$OUT/$ds.json" --report "$OUT/$ds"
done
