"""From schemathesis' NDJSON report, asserts that a principal who is no one (anonymous, a revoked
token, an expired session) got no success from any operation but the public ones; with
--admitted, that a signed-in principal was let in (at most a tenth of its answers 401: its
token kept working through the run).

    python3 refused.py [--admitted] NAME REPORT.ndjson

Prints one line: the principal, how many answers were checked and their statuses. Exits 1
when any answer to no one was a success (2xx or 3xx), listing them, or when a signed-in
principal was mostly refused as unknown."""
import collections
import json
import sys
from urllib.parse import urlsplit

PUBLIC = {"/health", "/api/v1/openapi.json"}

admitted = "--admitted" in sys.argv[1:]
name, path = [a for a in sys.argv[1:] if a != "--admitted"]
statuses = collections.Counter()
successes = []
with open(path, encoding="utf-8") as report:
    for line in report:
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        for interaction in finished.get("recorder", {}).get("interactions", {}).values():
            response = interaction.get("response") or {}
            status = response.get("status_code")
            if status is None:
                continue
            request = interaction.get("request", {})
            target = urlsplit(request.get("uri", "")).path
            if target in PUBLIC:
                continue
            statuses[status] += 1
            if status < 400:
                successes.append(f"{request.get('method')} {target}: {status}")
checked = sum(statuses.values())
print(
    f"{name}: {checked} answers to a principal who is {'signed in' if admitted else 'no one'}: "
    + ", ".join(f"{s} × {n}" for s, n in sorted(statuses.items()))
)
if checked == 0:
    print(f"{name}: no answers in {path}", file=sys.stderr)
    sys.exit(1)
if admitted:
    if statuses[401] * 10 > checked:
        print(f"{name}: {statuses[401]} of {checked} answers were 401: the token stopped working", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
if successes:
    print(f"{name}: {len(successes)} unexpected success(es):", file=sys.stderr)
    for s in sorted(set(successes))[:40]:
        print("  " + s, file=sys.stderr)
    sys.exit(1)
