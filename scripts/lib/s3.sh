# Starts a throwaway S3 server for the tests (moto, PyPI, from tests/oracle/requirements.txt)
# on a free loopback port, with signatures checked, and sets S3_URL to the URL the tests
# read as CVDESK_TEST_S3_URL; `s3_stop` stops it. Sourced by scripts/test.

s3_start() {
  S3_DIR=$(mktemp -d /tmp/cvdesk-s3.XXXXXX)
  python3 tests/s3/moto_s3.py >"$S3_DIR/url" 2>"$S3_DIR/server.log" &
  S3_PID=$!
  local waited=0
  while [ ! -s "$S3_DIR/url" ]; do
    if ! kill -0 "$S3_PID" 2>/dev/null || [ "$waited" -ge 300 ]; then
      cat "$S3_DIR/server.log"
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  S3_URL=$(head -n 1 "$S3_DIR/url")
  export S3_URL
  echo "== S3 (moto) on ${S3_URL##*@}"
}

s3_stop() {
  [ -n "${S3_PID:-}" ] || return 0
  kill "$S3_PID" 2>/dev/null || true
  wait "$S3_PID" 2>/dev/null || true
  rm -rf "$S3_DIR"
  S3_PID=
}
