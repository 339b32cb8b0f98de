#!/usr/bin/env bash
# `make fuzz` / `make fuzz-quick`: fuzz every operation of the REST API with schemathesis.
#
# Builds a small demo shop in a temporary SHOPMIND_HOME, trains item-kNN on it, creates an API key with the
# scope FUZZ_SCOPE (default write; its rate limit is raised so the fuzzer is not throttled), starts
# `shopmind serve` on a free loopback port and runs schemathesis over the whole OpenAPI schema (every
# operation the server publishes, so routes added later are fuzzed too) with the checks below. Exits non-zero
# on any failure. Env: MAX_EXAMPLES (default 50 per operation), PHASES (default examples,coverage,fuzzing),
# FUZZ_SCOPE, FUZZ_KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
MAX_EXAMPLES=${MAX_EXAMPLES:-50}
PHASES=${PHASES:-examples,coverage,fuzzing}
FUZZ_SCOPE=${FUZZ_SCOPE:-write}
CHECKS=not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,positive_data_acceptance,negative_data_rejection

WORK=$(mktemp -d -t shopmind-fuzz-XXXXXX)
export SHOPMIND_HOME="$WORK" SHOPMIND_EMBEDDING_CACHE=none SHOPMIND_API_KEYS=""
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ "${FUZZ_KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else echo "work folder kept: $WORK"; fi
}
trap cleanup EXIT

echo "== demo shop and model in $WORK"
"$BIN/shopmind" datasets generate demo-shop --users 300 --items 200 --days 30 >/dev/null
"$BIN/shopmind" train itemknn >/dev/null
KEY=$("$BIN/shopmind" keys create --scope "$FUZZ_SCOPE" --name fuzz --rate-limit 100000 --json |
      "$BIN/python" -c 'import json, sys; print(json.load(sys.stdin)["key"])')
PORT=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

echo "== shopmind serve on 127.0.0.1:$PORT"
"$BIN/shopmind" serve --port "$PORT" --search-encoder hashing --log-level warning >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 240); do
  if "$BIN/python" -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$PORT/health', timeout=2)" \
     2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/serve.log"; echo "the server did not start" >&2; exit 1; fi
  sleep 0.5
done

# Operations the schema marks (see shopmind.api.app): x-semantic-validation may answer schema-valid data with a 422
# naming the field; x-partial-acceptance writes the good rows of a batch with a bad one (200, listing the errors).
"$BIN/python" - "http://127.0.0.1:$PORT/openapi.json" "$KEY" >"$WORK/schemathesis.toml" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"X-API-Key": sys.argv[2]})
schema = json.load(urllib.request.urlopen(req, timeout=30))
for path, ops in schema["paths"].items():
    for method, op in ops.items():
        statuses = []
        if op.get("x-semantic-validation"):
            statuses.append(("positive_data_acceptance", ["2xx", "401", "403", "404", "409", "422", "429"]))
        if op.get("x-partial-acceptance"):
            statuses.append(("negative_data_rejection", ["200", "400", "401", "403", "404", "405", "406", "409",
                                                         "413", "415", "422", "429"]))
        for check, codes in statuses:
            print(f'[[operations]]\ninclude-path = "{path}"\ninclude-method = "{method.upper()}"')
            print(f"checks.{check}.expected-statuses = {json.dumps(codes)}\n")
PY

echo "== schemathesis: every operation, $MAX_EXAMPLES examples each, phases $PHASES"
"$BIN/schemathesis" --config-file "$WORK/schemathesis.toml" run "http://127.0.0.1:$PORT/openapi.json" \
  --checks "$CHECKS" --phases "$PHASES" --max-examples "$MAX_EXAMPLES" \
  --header "X-API-Key: $KEY" --seed 42 --workers 1 --request-timeout 60 \
  --generation-deterministic --suppress-health-check all --no-color "$@"
