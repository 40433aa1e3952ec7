#!/usr/bin/env bash
# Rebuilds benches/RESULTS.md from every RESULT line in the logs of BENCH_OUT (default
# target/bench-out), for runs made piece by piece (for example scale 100 on its own).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${BENCH_OUT:-target/bench-out}"
cat "$OUT"/*.log | sed -n 's/^RESULT //p' | python3 -c '
import json, sys
seen, rows = set(), []
for line in sys.stdin:
    r = json.loads(line)
    key = (r["bench"], r.get("db"), r.get("scale"), r.get("kind"), r.get("endpoint"), r.get("connections"))
    if key in seen:
        continue
    seen.add(key)
    rows.append(r)
order = {"generate": 0, "invoice_run": 1, "http": 2, "startup": 3}
kinds = {"floor": 0, "preview": 1, "run": 2, "write_floor": 3}
rows.sort(key=lambda r: (order[r["bench"]], r.get("db") or "", r.get("scale") or 0, kinds.get(r.get("kind"), 0)))
for r in rows:
    print(json.dumps(r))
' > "$OUT/collected.jsonl"
BENCH_LOADAVG="$OUT/loadavg" python3 benches/results.py "$OUT/collected.jsonl" "${BENCH_PROFILE:-bench (release)}" > benches/RESULTS.md
echo "wrote benches/RESULTS.md" >&2
