"""Puts real data behind the API's path parameters for schemathesis, and writes its config.

    python3 seed.py BASE_URL OUT_DIR   (tokens in FUZZ_TOKEN_<principal> environment variables)

Through the public API, as the users who would do it: a Boxtel casemanager registers a client
and orders a trajectory (an output and an hourly line), WSD staff accept it and register a
start and hours, finance runs the current month into a draft invoice. The ids go into
dictionaries in OUT_DIR/schemathesis.toml, bound to the path parameters with probability 0.8,
so most generated requests reach a real record (as its owner, or as someone who must be
refused) and the rest keep testing unknown ids."""
import datetime
import json
import os
import sys
import urllib.error
import urllib.request

base, out_dir = sys.argv[1].rstrip("/"), sys.argv[2]


def call(principal, method, path, body=None):
    token = os.environ[f"FUZZ_TOKEN_{principal}"]
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        sys.exit(f"seed: {method} {path} as {principal}: {error.code} {error.read().decode()}")


today = datetime.date.today()
first = today.replace(day=1).isoformat()
period = today.strftime("%Y-%m")

client = call("casemanager_boxtel", "POST", "/api/v1/clients", {"bsn": "111222333", "name": "F. Uzz"})
trajectory = call(
    "casemanager_boxtel",
    "POST",
    "/api/v1/trajectories",
    {
        "client_id": client["id"],
        "lines": [
            {"product_code": "REI-WERKFIT", "start_date": first},
            {"product_code": "JOBCOACH-UUR", "start_date": first, "quantity": "40", "frequency": "total"},
        ],
    },
)
lines = [line["id"] for line in trajectory["lines"]]
call("wsd_staff", "POST", f"/api/v1/trajectories/{trajectory['id']}/accept", {})
for line in lines:
    call("wsd_staff", "POST", f"/api/v1/trajectory-lines/{line}/events", {"kind": "start", "date": first})
call("wsd_staff", "POST", f"/api/v1/trajectory-lines/{lines[1]}/deliveries", {"period": period, "quantity": "3"})
call("finance", "POST", "/api/v1/invoice-runs", {"period": period})
invoices = [i["id"] for i in call("finance", "GET", "/api/v1/invoices?limit=500")["items"]]
# Boxtel's and Vught's contracts (the casemanagers' own and another's), and one more.
all_contracts = call("pricing", "GET", "/api/v1/contracts")["items"]
contracts = [c["id"] for c in all_contracts if c["municipality"] in ("GM0757", "GM0865")]
contracts += [c["id"] for c in all_contracts if c["municipality"] not in ("GM0757", "GM0865")][:1]
if not invoices or not contracts:
    sys.exit(f"seed: expected invoices and contracts, found {len(invoices)} and {len(contracts)}")

dictionaries = {
    "client_ids": [client["id"]],
    "trajectory_ids": [trajectory["id"]],
    "line_ids": lines,
    "invoice_ids": invoices,
    "contract_ids": contracts,
    "product_codes": ["REI-WERKFIT", "JOBCOACH-UUR", "DIAG-BREEDINTAKE"],
    "municipality_codes": ["GM0757", "GM0865"],
    "report_names": ["budget", "products", "target_groups", "status", "outcomes", "uptake", "plan"],
}
bindings = [
    (r"^/api/v1/clients/\{id\}", {"path.id": "client_ids"}),
    (r"^/api/v1/trajectories/\{id\}", {"path.id": "trajectory_ids"}),
    (r"^/api/v1/trajectory-lines/\{id\}", {"path.id": "line_ids"}),
    (r"^/api/v1/invoices/\{id\}", {"path.id": "invoice_ids"}),
    (r"^/api/v1/contracts/\{id\}", {"path.id": "contract_ids", "path.product_code": "product_codes"}),
    (r"^/api/v1/products/\{code\}", {"path.code": "product_codes"}),
    (r"^/api/v1/municipalities/\{code\}", {"path.code": "municipality_codes"}),
    (r"^/api/v1/reports/\{report\}", {"path.report": "report_names"}),
]


def toml_string(text):
    return json.dumps(text)  # a JSON string is a valid TOML basic string for these values


with open(os.path.join(out_dir, "schemathesis.toml"), "w", encoding="utf-8") as config:
    config.write("# Written by tests/api-fuzz/seed.py for one run.\n")
    for name, values in dictionaries.items():
        config.write(f"[dictionaries.{name}]\nvalues = [{', '.join(toml_string(v) for v in values)}]\n")
    for regex, parameters in bindings:
        config.write(f"\n[[operations]]\ninclude-path-regex = {toml_string(regex)}\n")
        config.write("[operations.parameters]\n")
        for key, dictionary in parameters.items():
            config.write(f'"{key}" = {{ dictionary = "{dictionary}", probability = 0.8 }}\n')
print(f"seed: client, trajectory with {len(lines)} lines, {len(invoices)} invoice(s), {len(contracts)} contracts")
