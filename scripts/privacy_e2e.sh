#!/usr/bin/env bash
# Right to erasure, end to end against a real `shopmind serve` (issue 21 s1; docs/privacy.md):
# import the demo shop, serve it, record a user's events, get recommendations, delete the user, show the
# receipt, show that their recommendations are now a new shopper's and that the store holds 0 rows of them,
# retrain, show 0 again. Usage: scripts/privacy_e2e.sh [work dir] [port]   (needs curl and the venv)
set -euo pipefail
WORK=${1:-$(mktemp -d /tmp/shopmind-privacy-e2e.XXXXXX)}
PORT=${2:-8765}
BIN=${BIN:-$(dirname "$0")/../.venv/bin}
export SHOPMIND_HOME=$WORK SHOPMIND_API_KEYS="w:write" SHOPMIND_PIPELINE_EXPLORE=0
USER_ID=U00007 NEW_ID=never-seen-shopper-42
API="http://127.0.0.1:$PORT"
H=(-H "X-API-Key: w" -H "content-type: application/json")
py() { "$BIN/python" -c "$@"; }
recs() { curl -s "${H[@]}" "$API/recommendations/$1?n=10" | py 'import json,sys; print(" ".join(i["item_id"] for i in json.load(sys.stdin)["items"]))'; }
rows() { py "from shopmind.storage import open_store
with open_store('sqlite:///$WORK/shopmind.db') as s: print(sum(len(r) for r in s.user_data('$1').values()))"; }

echo "== 1. import the demo shop and train item-kNN into $WORK"
"$BIN/shopmind" datasets generate demo-shop --users 300 --items 200 --days 30 | tail -1
"$BIN/shopmind" train itemknn | tail -1
echo "== 2. serve"
"$BIN/shopmind" serve --port "$PORT" --search-encoder none --log-level warning > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "$API/health" > /dev/null && break; sleep 0.5; done
echo "== 3. record $USER_ID's events and get recommendations"
curl -s "${H[@]}" -X POST "$API/events" -d "{\"events\": [
  {\"event_id\": \"e2e-1\", \"user_id\": \"$USER_ID\", \"item_id\": \"SKU00042\", \"type\": \"purchase\"},
  {\"event_id\": \"e2e-2\", \"user_id\": \"$USER_ID\", \"item_id\": \"SKU00007\", \"type\": \"view\"}]}"; echo
echo "$USER_ID: $(recs $USER_ID)"
echo "$NEW_ID: $(recs $NEW_ID)"
echo "rows naming $USER_ID in the store: $(rows $USER_ID)"
echo "== 4. delete $USER_ID: the receipt"
curl -s "${H[@]}" -X DELETE "$API/users/$USER_ID" | py 'import json,sys; print(json.dumps(json.load(sys.stdin), indent=1))'
echo "GET /users/$USER_ID -> $(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" "$API/users/$USER_ID")"
A=$(recs $USER_ID); B=$(recs $NEW_ID)
echo "$USER_ID: $A"
echo "$NEW_ID: $B"
[ "$A" = "$B" ] && echo "recommendations for $USER_ID == a new shopper's: yes" || { echo "DIFFERENT"; exit 1; }
echo "rows naming $USER_ID in the store: $(rows $USER_ID)"
echo "== 5. retrain, then look again"
JOB=$(curl -s "${H[@]}" -X POST "$API/models/retrain" -d '{"model": "itemknn"}' | py 'import json,sys; print(json.load(sys.stdin)["job_id"])')
for _ in $(seq 1 240); do
  STATE=$(curl -s "${H[@]}" "$API/models/retrain/$JOB" | py 'import json,sys; print(json.load(sys.stdin)["state"])')
  [ "$STATE" = done ] || [ "$STATE" = failed ] && break; sleep 0.5
done
echo "retrain job $JOB: $STATE"
echo "rows naming $USER_ID in the store: $(rows $USER_ID)"
[ "$(recs $USER_ID)" = "$(recs $NEW_ID)" ] && echo "recommendations for $USER_ID == a new shopper's: yes"
echo "== 6. the deletion log (a keyed hash, never the id)"
"$BIN/shopmind" privacy log
