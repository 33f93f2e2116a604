# Starts a throwaway PostgreSQL server for the tests: its own folder under a temp dir, a
# free loopback port, trust authentication, stopped by `postgres_stop`. Sourced by
# scripts/test and scripts/bench; installs Debian's server package when it is missing.

postgres_bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

postgres_install() {
  if [ -z "$(postgres_bin_dir)" ]; then
    echo "== installing PostgreSQL (Debian package)"
    apt_install postgresql
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Sets POSTGRES_URL to a superuser URL of a fresh server.
postgres_start() {
  postgres_install
  local bin port
  bin=$(postgres_bin_dir)
  port=$(free_port)
  POSTGRES_DIR=$(mktemp -d /tmp/cvdesk-pg.XXXXXX)
  local run_as=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root.
    chown postgres "$POSTGRES_DIR"
    run_as=(runuser -u postgres --)
  fi
  "${run_as[@]}" "$bin/initdb" -D "$POSTGRES_DIR/data" -U cvdesk --auth=trust -E UTF8 >"$POSTGRES_DIR/initdb.log" 2>&1 \
    || { cat "$POSTGRES_DIR/initdb.log"; return 1; }
  "${run_as[@]}" "$bin/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/server.log" -w \
    -o "-p $port -k $POSTGRES_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$POSTGRES_DIR/server.log"; return 1; }
  POSTGRES_URL="postgres://cvdesk@127.0.0.1:$port/postgres"
  export POSTGRES_URL
  echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

postgres_stop() {
  [ -n "${POSTGRES_DIR:-}" ] || return 0
  local run_as=()
  [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
  "${run_as[@]}" "$(postgres_bin_dir)/pg_ctl" -D "$POSTGRES_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$POSTGRES_DIR"
  POSTGRES_DIR=
}
