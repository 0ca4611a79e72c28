#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the store tests on a local socket (installing the server from
# the distribution's packages when it is missing) and prints its SQLAlchemy URL on stdout.
# Usage: eval "$(scripts/start-postgres.sh)"   -> exports PATAUDIT_TEST_PG_URL
set -euo pipefail

DATA=${PATAUDIT_PG_DIR:-/tmp/pataudit-pg}
PORT=${PATAUDIT_PG_PORT:-54329}
SOCKET="$DATA/socket"

find_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ] && command -v pg_ctl >/dev/null 2>&1; then found=$(dirname "$(command -v pg_ctl)"); fi
  echo "$found"
}

BIN=$(find_bin)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL server binaries not found; install PostgreSQL (initdb, pg_ctl) and re-run" >&2
    exit 1
  fi
  echo "Installing PostgreSQL server packages" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  BIN=$(find_bin)
fi

# The server refuses to run as root: run it as the 'postgres' user when we are root.
AS=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  AS=(runuser -u postgres --)
fi

if ! "${AS[@]}" "$BIN/pg_isready" -q -h "$SOCKET" -p "$PORT" 2>/dev/null; then
  rm -rf "$DATA"
  mkdir -p "$SOCKET"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$DATA"
  "${AS[@]}" "$BIN/initdb" -D "$DATA/data" -U postgres -A trust >/dev/null
  "${AS[@]}" "$BIN/pg_ctl" -D "$DATA/data" -l "$DATA/server.log" -w -o "-p $PORT -k $SOCKET -c listen_addresses=''" start >/dev/null
fi
"${AS[@]}" "$BIN/psql" -h "$SOCKET" -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='pataudit_test'" \
  | grep -q 1 || "${AS[@]}" "$BIN/createdb" -h "$SOCKET" -p "$PORT" -U postgres pataudit_test
echo "export PATAUDIT_TEST_PG_URL='postgresql+psycopg://postgres@/pataudit_test?host=$SOCKET&port=$PORT'"
