#!/usr/bin/env bash
# Several instances behind HAProxy on one PostgreSQL (bench/scale_out.py): installs HAProxy
# from Debian's packages when it is missing, uses the PostgreSQL server POSTGRES_URL names
# (scripts/test and scripts/bench start one) or starts a throwaway one, then passes its
# arguments on, e.g. --binary target/debug/cvdesk, or --throughput for the benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/install.sh
. scripts/lib/postgres.sh
apt_ensure haproxy
if [ -z "${POSTGRES_URL:-}" ]; then
  trap postgres_stop EXIT
  postgres_start
fi
python3 bench/scale_out.py --postgres-url "$POSTGRES_URL" --psql "$(postgres_bin_dir)/psql" "$@"
