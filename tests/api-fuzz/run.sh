#!/usr/bin/env bash
# Schema-driven API testing (issue 11): schemathesis against /api/v1/openapi.json, once
# anonymously and once per role (admin, pricing, finance, WSD staff, a casemanager of Boxtel
# and one of Vught), and as two principals who are no one any more (the administrator's revoked
# API token, a casemanager's session past its idle timeout), at least MAX_EXAMPLES generated
# cases per operation and phase. Checks:
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

# Who was someone and is no one now: every operation but the public ones must refuse them
# (refused.py). The administrator's API token, revoked with the command line:
revoked="$(cd "$work" && PLUSMARKT_CATALOGUE_DIR="$root/catalogue" "$bin" token add --email beheer@wsd.example --label api-fuzz-ingetrokken | tail -n1)"
revoked_id="$(cd "$work" && PLUSMARKT_CATALOGUE_DIR="$root/catalogue" "$bin" token list --email beheer@wsd.example | awk -F '\t' '$2 == "api-fuzz-ingetrokken" {print $1}')"
[ -n "$revoked_id" ] || { echo "the token to revoke is not listed" >&2; exit 1; }
(cd "$work" && PLUSMARKT_CATALOGUE_DIR="$root/catalogue" "$bin" token revoke --id "$revoked_id" >/dev/null)
# Boxtel's casemanager signed in through the login form, then left alone past the idle timeout
# (its last request moved back in the database, in the format the server wrote).
jar="$work/cookies.txt"
login_page="$(curl -fsS -c "$jar" "$base/login")"
csrf="$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' <<<"$login_page" | head -n1)"
curl -sS -b "$jar" -c "$jar" -o /dev/null -X POST "$base/login" \
  --data-urlencode "csrf_token=$csrf" --data-urlencode "email=casemanager@boxtel.example" \
  --data-urlencode "password=plusmarkt-demo-2026"
expired_cookie="$(awk '$6 == "plusmarkt_session" {print $7}' "$jar")"
[ -n "$expired_cookie" ] || { echo "the login form gave no session cookie" >&2; exit 1; }
python3 - "$work/plusmarkt.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
moved = db.execute("UPDATE sessions SET last_seen_at = '2000' || substr(created_at, 5)").rowcount
db.commit()
sys.exit(0 if moved == 1 else f"expected one session to move back, moved {moved}")
PY
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: plusmarkt_session=$expired_cookie" "$base/api/v1/me")" = 401 ] \
  || { echo "the expired session still opens /api/v1/me" >&2; exit 1; }
principals+=("revoked_token:" "expired_session:")
# Real records behind the path parameters (see seed.py); writes $out/schemathesis.toml,
# which schemathesis reads from its working folder.
python3 "$root/tests/api-fuzz/seed.py" "$base" "$out"

failed=0
summary="$out/summary.txt"
: >"$summary"

# One schemathesis run: NAME REPORT [operation filter...], with "${auth[@]}" set.
fuzz() {
  local name="$1" report="$2"
  shift 2
  # From the report folder: schemathesis keeps its cache (.schemathesis/) in the working one.
  (cd "$out" && exec "$venv/bin/st" run "$base/api/v1/openapi.json" \
    "${auth[@]}" "$@" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection \
    --max-examples "${examples:-$MAX_EXAMPLES}" \
    --seed "${FUZZ_SEED:-20261130}" \
    --workers 2 \
    --suppress-health-check all \
    --report ndjson --report-ndjson-path "$out/$report.ndjson" \
    --output-truncate true \
    --no-color >"$out/$report.txt" 2>&1)
}

# Revoking a token is fuzzed last, in a pass of its own: a principal that revokes its own
# token (or the administrator everyone's) would be 401 for every operation after it.
revocation=/api/v1/tokens/{id}
for entry in "${principals[@]}"; do
  name="${entry%%:*}"
  email="${entry#*:}"
  auth=()
  # A fresh token for each principal: the administrator's revocation pass revokes the
  # tokens it can list, everyone's.
  if [ -n "$email" ]; then auth=(-H "Authorization: Bearer $(token_for "$email")"); fi
  # Who is no one is refused before any input is looked at: a quarter of the cases shows that
  # for every operation (anonymous keeps the full count).
  examples="$MAX_EXAMPLES"
  case "$name" in
    revoked_token) auth=(-H "Authorization: Bearer $revoked"); examples=$(( (MAX_EXAMPLES + 3) / 4 )) ;;
    expired_session) auth=(-H "Cookie: plusmarkt_session=$expired_cookie"); examples=$(( (MAX_EXAMPLES + 3) / 4 )) ;;
  esac
  echo "== schemathesis as $name"
  rc=0
  fuzz "$name" "$name" --exclude-path "$revocation" || rc=$?
  tail -n 25 "$out/$name.txt"
  fuzz "$name" "$name-revocation" --include-path "$revocation" || rc=$?
  tail -n 4 "$out/$name-revocation.txt"
  python3 "$root/tests/api-fuzz/count.py" "$name" "$out/$name.ndjson" >>"$summary" || true
  case "$name" in
    anonymous | revoked_token | expired_session)
      for report in "$name" "$name-revocation"; do
        python3 "$root/tests/api-fuzz/refused.py" "$name" "$out/$report.ndjson" >>"$summary" || rc=1
      done ;;
    *) python3 "$root/tests/api-fuzz/refused.py" --admitted "$name" "$out/$name.ndjson" >>"$summary" || rc=1 ;;
  esac
  if [ "$rc" -ne 0 ]; then
    echo "schemathesis as $name: exit $rc (the full output is in $out/$name.txt and $out/$name-revocation.txt)" >&2
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
