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
    # The newest measurement of each kind counts (logs are read oldest first).
    if key in seen:
        rows = [x for x in rows if (x["bench"], x.get("db"), x.get("scale"), x.get("kind"), x.get("endpoint"), x.get("connections")) != key]
    seen.add(key)
    rows.append(r)
order = {"generate": 0, "invoice_run": 1, "orders_during_run": 2, "http": 3, "startup": 4}
kinds = {"floor": 0, "preview": 1, "run": 2, "write_floor": 3}
rows.sort(key=lambda r: (order[r["bench"]], r.get("db") or "", r.get("scale") or 0, kinds.get(r.get("kind"), 0)))
for r in rows:
    print(json.dumps(r))
' > "$OUT/collected.jsonl"
BENCH_LOADAVG="$OUT/loadavg" python3 benches/results.py "$OUT/collected.jsonl" "${BENCH_PROFILE:-bench (release)}" > benches/RESULTS.md
echo "wrote benches/RESULTS.md" >&2
