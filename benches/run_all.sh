#!/usr/bin/env bash
# Runs the benchmarks and writes benches/RESULTS.md and benches/results.json from their
# RESULT lines.
#
#   benches/run_all.sh                     # scales 1,10 on SQLite and PostgreSQL, HTTP, start-up
#   SCALES=1,10,100 benches/run_all.sh     # also scale 100
#   DBS=sqlite benches/run_all.sh          # SQLite only
#
# Needs wrk (apt-get install -y wrk) and, for PostgreSQL, a server at BENCH_PG_URL
# (default postgres://postgres@127.0.0.1:5432). Generated databases go to BENCH_DATA_DIR
# (default target/bench-data); they are kept between runs and removed with CLEAN=1.
# BENCH_DB_PREFIX (default plusmarkt_bench) names the PostgreSQL bench databases.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALES="${SCALES:-1,10}"
DBS="${DBS:-sqlite postgres}"
PROFILE_ARGS=()
if [ -n "${BENCH_PROFILE:-}" ]; then PROFILE_ARGS=(--profile "$BENCH_PROFILE"); fi
OUT="${BENCH_OUT:-target/bench-out}"
mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT/loadavg"
run() {
  local name="$1"; shift
  echo "== $name $*" >&2
  cargo bench "${PROFILE_ARGS[@]}" --bench "$name" -- "$@" 2>"$OUT/$name.stderr" | tee -a "$OUT/$name.log" \
    | sed -n 's/^RESULT //p' >> "$OUT/results.jsonl"
}
cargo bench "${PROFILE_ARGS[@]}" --no-run >&2
for db in $DBS; do
  IFS=, read -ra scales <<< "$SCALES"
  for s in "${scales[@]}"; do
    run invoice_run --scale "$s" --db "$db"
  done
  # Orders during a run, at the largest scale.
  run orders_during_run --scale "${scales[-1]}" --db "$db"
done
run http_load --seconds "${HTTP_SECONDS:-10}"
run startup
# The load at the end of the runs, kept with the logs for RESULTS.md (collect.sh).
cut -d' ' -f1-3 /proc/loadavg > "$OUT/loadavg"
benches/collect.sh
echo "wrote benches/RESULTS.md" >&2
if [ "${CLEAN:-0}" = 1 ]; then
  rm -rf "${BENCH_DATA_DIR:-target/bench-data}"
  for s in "${scales[@]}"; do
    psql "${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}/postgres" -qc "DROP DATABASE IF EXISTS ${BENCH_DB_PREFIX:-plusmarkt_bench}_s$s WITH (FORCE)" || true
  done
fi
