"""Counts the test cases schemathesis generated per API operation, from its NDJSON report.

    python3 count.py NAME REPORT.ndjson

Prints one line: the principal, the total, the number of operations and the fewest cases
any operation got (operations without parameters or body have few distinct inputs)."""
import collections
import json
import sys

name, path = sys.argv[1], sys.argv[2]
cases = collections.Counter()
with open(path, encoding="utf-8") as report:
    for line in report:
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        label = recorder.get("label", "?")
        if label == "Stateful tests":
            label = "(stateful sequences)"
        cases[label] += len(recorder.get("cases", {}))
operations = {k: v for k, v in cases.items() if not k.startswith("(")}
fewest = min(operations.items(), key=lambda kv: kv[1]) if operations else ("-", 0)
below = sorted(k for k, v in operations.items() if v < 100)
print(
    f"{name}: {sum(cases.values())} cases, {len(operations)} operations, "
    f"{cases.get('(stateful sequences)', 0)} in stateful sequences, "
    f"fewest {fewest[1]} ({fewest[0]}); under 100: {', '.join(below) or 'none'}"
)
