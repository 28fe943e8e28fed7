"""Prints the secret of a new API key of the sandbox's demo account with every API scope the
descriptions name (sandbox/descriptions/*.json), made with the demo Basic credentials."""

import base64
import glob
import json
import os
import sys
import urllib.request

base, descriptions = os.environ["INFOBIP_BASE_URL"], sys.argv[1]
scopes = set()
for path in glob.glob(os.path.join(descriptions, "*.json")):
    with open(path, encoding="utf-8") as file:
        for item in json.load(file)["paths"].values():
            for operation in item.values():
                if isinstance(operation, dict):
                    scopes.update(operation.get("x-scopes", []))
request = urllib.request.Request(
    f"{base}/settings/2/api-keys",
    data=json.dumps({"name": "official clients", "scopeGuids": sorted(scopes)}).encode(),
    headers={
        "Content-Type": "application/json",
        "Authorization": "Basic " + base64.b64encode(b"demo:demo-password-123").decode(),
    },
    method="POST",
)
with urllib.request.urlopen(request) as answer:
    print(json.load(answer)["apiKeySecret"])
