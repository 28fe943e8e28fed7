#!/usr/bin/env bash
# Infobip's own client libraries against the sandbox binary, each product they cover.
#
#   sandbox/official-clients/run.sh
#
# Builds and starts `infobip-sandbox` on a port the system picks, makes an API key with every
# scope, installs each client into a temporary directory outside the repository (a venv per
# Python package, since their pydantic versions differ; node_modules for the npm one) and
# runs its script, which prints one line per product. Exits non-zero if any call failed; a
# client whose package registry cannot be reached is skipped with a message.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

# The versions tried; change them here.
PYTHON_CLIENT="infobip-api-python-client==6.0.0"
PYTHON_SDK="infobip-api-python-sdk==5.0.1"
NODE_SDK="@infobip-api/sdk@0.3.2"

work="$(mktemp -d)"
sandbox_pid=""
cleanup() {
    if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

cargo build -q -p infobip-sandbox --bin infobip-sandbox
"${CARGO_TARGET_DIR:-target}/debug/infobip-sandbox" --no-throttle >"$work/banner" 2>"$work/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$work/banner" 2>/dev/null && break
    sleep 0.1
done
INFOBIP_BASE_URL="$(sed -n 's/^Infobip sandbox listening on //p' "$work/banner")"
if [ -z "$INFOBIP_BASE_URL" ]; then
    echo "the sandbox did not start:" >&2
    cat "$work/sandbox.log" >&2
    exit 1
fi
export INFOBIP_BASE_URL
if ! command -v python3 >/dev/null; then
    echo "official clients: skipped, no python3 here"
    exit 0
fi
INFOBIP_API_KEY="$(python3 "$here/make_key.py" sandbox/descriptions)"
export INFOBIP_API_KEY
echo "sandbox at $INFOBIP_BASE_URL"

failed=0
python_client() { # venv, package, script
    if ! command -v python3 >/dev/null || ! python3 -m venv "$work/$1" >/dev/null 2>&1 ||
        ! "$work/$1/bin/pip" install -q --disable-pip-version-check --timeout 10 --retries 1 "$2" >"$work/$1.log" 2>&1; then
        echo "$2: skipped, it cannot be installed (is PyPI reachable?):"
        tail -n 3 "$work/$1.log"
        return
    fi
    "$work/$1/bin/python" "$here/$3" || failed=1
}
python_client python-client "$PYTHON_CLIENT" python_client.py
python_client python-sdk "$PYTHON_SDK" python_sdk.py

if command -v npm >/dev/null &&
    (cd "$work" && npm install --silent --no-audit --no-fund --fetch-retries=1 --fetch-timeout=10000 "$NODE_SDK" >"$work/npm.log" 2>&1); then
    NODE_PATH="$work/node_modules" node "$here/node_sdk.js" || failed=1
else
    echo "$NODE_SDK: skipped, it cannot be installed (is npm there, and its registry reachable?)"
    tail -n 3 "$work/npm.log" 2>/dev/null || true
fi
exit "$failed"
