#!/usr/bin/env bash
# Regenerates tests/integration/spec/twilio_api_v2010.subset.json, the part of Twilio's published
# OpenAPI description (twilio/twilio-oai, spec/json/twilio_api_v2010.json) that the conformance
# test (tests/integration/twilio_spec.rs) checks mockingbird against: the paths of the resources
# mockingbird serves and every schema they reference. Descriptions and examples are dropped; the
# rest is copied as published.
#
#   scripts/twilio-spec-subset.sh [path/to/twilio_api_v2010.json]
#
# The default input is the copy kept beside the repository (../shared/reference/).
set -euo pipefail
cd "$(dirname "$0")/.."
spec="${1:-../shared/reference/twilio_api_v2010.json}"
out=tests/integration/spec/twilio_api_v2010.subset.json

python3 - "$spec" "$out" <<'PY'
import json
import sys

spec_path, out_path = sys.argv[1], sys.argv[2]
with open(spec_path) as f:
    spec = json.load(f)

# The served resources: keep in step with src/twilio/mod.rs. Nested resources of their own that
# mockingbird does not serve (a number's AssignedAddOns, a message's Feedback) stay out.
SERVED = [
    "/2010-04-01/Accounts.json",
    "/2010-04-01/Accounts/{Sid}.json",
    "/2010-04-01/Accounts/{AccountSid}/Messages.json",
    "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
    "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media.json",
    "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{Sid}.json",
    "/2010-04-01/Accounts/{AccountSid}/Keys.json",
    "/2010-04-01/Accounts/{AccountSid}/Keys/{Sid}.json",
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/Local.json",
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/Mobile.json",
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/TollFree.json",
    "/2010-04-01/Accounts/{AccountSid}/Calls.json",
    "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json",
    "/2010-04-01/Accounts/{AccountSid}/Recordings.json",
    "/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json",
    # A call's recordings are read and deleted; starting, pausing or stopping one over REST
    # (the POSTs) is not served.
    ("/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings.json", ("get",)),
    ("/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings/{Sid}.json", ("get", "delete")),
]
METHODS = ("get", "post", "delete")


def strip(node):
    """The node without prose and examples, which the test does not read."""
    if isinstance(node, dict):
        return {
            k: strip(v)
            for k, v in node.items()
            if k not in ("description", "summary", "examples", "example")
        }
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in found:
                found.add(name)
                refs(spec["components"]["schemas"][name], found)
        for v in node.values():
            refs(v, found)
    elif isinstance(node, list):
        for v in node:
            refs(v, found)


paths = {}
for served in SERVED:
    path, methods = served if isinstance(served, tuple) else (served, METHODS)
    item = spec["paths"][path]
    paths[path] = {m: strip(item[m]) for m in methods if m in item}
schemas = set()
refs(paths, schemas)
subset = {
    "openapi": spec["openapi"],
    "info": {"title": spec["info"]["title"], "version": spec["info"]["version"]},
    "paths": paths,
    "components": {
        "schemas": {n: strip(spec["components"]["schemas"][n]) for n in sorted(schemas)}
    },
}
with open(out_path, "w") as f:
    json.dump(subset, f, indent=1, sort_keys=False)
    f.write("\n")
print(f"{out_path}: {len(paths)} paths, {len(schemas)} schemas")
PY
