#!/usr/bin/env bash
# Property-based testing of the API against its own document: starts the server on a free
# loopback port with an empty data folder and an admin's API token, and runs Schemathesis
# (PyPI, pinned in requirements.txt) on /api/v1/openapi.json as the server serves it, with
# every default check (no 5xx, status codes, content types, headers and bodies as
# documented, schema-valid requests accepted, schema-violating ones refused) in all four
# phases. The stateful phase follows the document's links from a created report to every
# operation that takes its reference number or tracking token. Settings that say where a
# 422 is an answer to schema-valid data are in schemathesis.toml beside this script.
#
# Usage: tests/oracle/api_fuzz.sh [BINARY]   (default target/debug/cvdesk)
# Budget: CVDESK_FUZZ_EXAMPLES examples per operation (default 60) within
# CVDESK_FUZZ_SECONDS seconds (default 90); CVDESK_FUZZ_SEED (default 1) to replay a run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(realpath "${1:-$here/../../target/debug/cvdesk}")"
examples="${CVDESK_FUZZ_EXAMPLES:-60}"
seconds="${CVDESK_FUZZ_SECONDS:-90}"
seed="${CVDESK_FUZZ_SEED:-1}"

work="$(mktemp -d)"
server=
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The server as shipped, but without the per-address rate limits: every request comes from
# one loopback address, and the limits have their own tests. Staff with a token need no
# intake challenge.
# `env` execs the binary, so the server's process id is the one started in the background.
desk=(env -u CVDESK_DATABASE_URL -u CVDESK_CONFIG -u CVDESK_SMTP_URL -u CVDESK_TRUSTED_PROXIES
  -u CVDESK_CLIENT_ADDRESS_HEADER
  CVDESK_RATE_LIMIT_REPORTS=off CVDESK_RATE_LIMIT_TRACKING=off
  CVDESK_RATE_LIMIT_REPLIES=off CVDESK_RATE_LIMIT_SIGN_IN=off
  "$binary")
desk() {
  "${desk[@]}" "$@" --data "$work/data"
}

mkfifo "$work/stdout"
"${desk[@]}" serve --listen 127.0.0.1:0 --data "$work/data" >"$work/stdout" 2>"$work/server.log" &
server=$!
exec 3<"$work/stdout"
read -r -t 30 first <&3 || { echo "api fuzz: the server did not start"; cat "$work/server.log"; exit 1; }
base="${first#cvdesk listening on }"
# Keep draining what the server prints so it never blocks on a full pipe.
cat <&3 >/dev/null &
# Only serve creates the store; the admin commands use it once it is there.
desk user add --email fuzz-admin@example.org --role admin >/dev/null
# A product, so that moving a report to one can succeed.
desk product add --name Fuzz --team Fuzz --hostname fuzz.example.org >/dev/null
token="$(desk token create --email fuzz-admin@example.org | tail -n 1)"

cd "$work"
status=0
schemathesis --config-file "$here/schemathesis.toml" run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --max-examples "$examples" --max-time "$seconds" --seed "$seed" \
  --no-color || status=$?
if grep -q "request failed" "$work/server.log"; then
  echo "api fuzz: the server logged failed requests:"
  grep "request failed" "$work/server.log" | head -n 20
  status=1
fi
if [ "$status" -eq 0 ]; then
  echo "api fuzz: 1 passed, 0 failed"
else
  echo "api fuzz: 0 passed, 1 failed"
fi
exit "$status"
