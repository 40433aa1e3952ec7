#!/usr/bin/env bash
# Schema-driven API testing (issue 11): schemathesis against /api/v1/openapi.json, once
# anonymously and once per role (admin, pricing, finance, WSD staff, a casemanager of Boxtel
# and one of Vught), at least MAX_EXAMPLES generated cases per operation and phase. Checks:
# no server errors, status codes and content types as documented, responses matching their
# schemas, response headers as documented, schema-violating requests refused. Path
# parameters draw real ids most of the time (seed.py). Any failure fails the script.
#
#   tests/api-fuzz/run.sh                 # builds the server with cargo, or
#   PLUSMARKT_BIN=target/debug/plusmarkt tests/api-fuzz/run.sh
#
# Installs schemathesis (pinned in requirements.txt) into a venv in $FUZZ_VENV (default
# CARGO_TARGET_DIR/api-fuzz-venv) on first use. Reports go to $FUZZ_OUT (default a temp dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/plusmarkt-ci-target}"
MAX_EXAMPLES="${MAX_EXAMPLES:-100}"
venv="${FUZZ_VENV:-$CARGO_TARGET_DIR/api-fuzz-venv}"
out="${FUZZ_OUT:-$(mktemp -d)}"
mkdir -p "$out"

if [ ! -x "$venv/bin/st" ] || ! cmp -s "$root/tests/api-fuzz/requirements.txt" "$venv/requirements.txt"; then
  echo "installing schemathesis into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/tests/api-fuzz/requirements.txt"
  cp "$root/tests/api-fuzz/requirements.txt" "$venv/requirements.txt"
fi

bin="${PLUSMARKT_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --quiet --bin plusmarkt
  bin="$CARGO_TARGET_DIR/debug/plusmarkt"
fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh database with the demo data; the mail worker writes .eml files into the folder.
(cd "$work" && PLUSMARKT_CATALOGUE_DIR="$root/catalogue" ROCKET_PORT="$port" ROCKET_ADDRESS=127.0.0.1 exec "$bin" serve >"$work/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "server did not start" >&2; exit 1; }
  sleep 0.2
done
curl -fsS "$base/health" >/dev/null || { echo "server did not answer /health" >&2; exit 1; }

token_for() {
  (cd "$work" && PLUSMARKT_CATALOGUE_DIR="$root/catalogue" "$bin" token add --email "$1" --label api-fuzz | tail -n1)
}

principals=(
  "anonymous:"
  "admin:beheer@wsd.example"
  "pricing:prijzen@wsd.example"
  "finance:financien@wsd.example"
  "wsd_staff:consulent@wsd.example"
  "casemanager_boxtel:casemanager@boxtel.example"
  "casemanager_vught:casemanager@vught.example"
  "finance_werkpad:financien@werkpad.example"
)

for entry in "${principals[@]}"; do
  name="${entry%%:*}"
  email="${entry#*:}"
  if [ -n "$email" ]; then export "FUZZ_TOKEN_$name=$(token_for "$email")"; fi
done
# Real records behind the path parameters (see seed.py); writes $out/schemathesis.toml,
# which schemathesis reads from its working folder.
python3 "$root/tests/api-fuzz/seed.py" "$base" "$out"

failed=0
summary="$out/summary.txt"
: >"$summary"
for entry in "${principals[@]}"; do
  name="${entry%%:*}"
  token_var="FUZZ_TOKEN_$name"
  auth=()
  if [ -n "${!token_var:-}" ]; then auth=(-H "Authorization: Bearer ${!token_var}"); fi
  echo "== schemathesis as $name"
  rc=0
  # From the report folder: schemathesis keeps its cache (.schemathesis/) in the working one.
  (cd "$out" && exec "$venv/bin/st" run "$base/api/v1/openapi.json" \
    "${auth[@]}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection \
    --max-examples "$MAX_EXAMPLES" \
    --seed "${FUZZ_SEED:-20261130}" \
    --workers 2 \
    --suppress-health-check all \
    --report ndjson --report-ndjson-path "$out/$name.ndjson" \
    --output-truncate true \
    --no-color >"$out/$name.txt" 2>&1) || rc=$?
  tail -n 25 "$out/$name.txt"
  python3 "$root/tests/api-fuzz/count.py" "$name" "$out/$name.ndjson" >>"$summary" || true
  if [ "$rc" -ne 0 ]; then
    echo "schemathesis as $name: exit $rc (the full output is in $out/$name.txt)" >&2
    failed=$((failed + 1))
  fi
done
echo "== schemathesis summary (cases generated per principal)"
cat "$summary"
if grep -q " 5[0-9][0-9] " "$work/server.log" 2>/dev/null; then
  echo "the server logged 5xx answers:" >&2
  grep " 5[0-9][0-9] " "$work/server.log" | head -20 >&2
  failed=$((failed + 1))
fi
[ "$failed" -eq 0 ] || { echo "schemathesis: $failed principal run(s) failed" >&2; exit 1; }
echo "schemathesis: zero failures for ${#principals[@]} principals"
