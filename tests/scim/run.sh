#!/usr/bin/env bash
# SCIM conformance on the real binary, on SQLite and on PostgreSQL: a fresh organization
# (`gatehouse org create`, its Owner by `create-admin --owner`) beside Demo Corp in the same
# database, a `scim` token made by `gatehouse token create`, the server started, then
# scim2-tester (PyPI, pinned) checks every endpoint. Run by .ci/run after `cargo test` (which
# builds the binary).
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/gatehouse"
[ -x "$BIN" ] || cargo build --quiet
VENV="${GATEHOUSE_SCIM_VENV:-$HOME/.cache/gatehouse-scim-venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "scim2-tester==0.5.2" "scim2-client==0.13.2" "httpx2==2.17.0"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

check() { # backend database-url
  local backend="$1" url="$2" work port pid token
  work=$(mktemp -d)
  export DATABASE_URL="$url" GATEHOUSE_DATA_DIR="$work"
  "$BIN" seed-demo --users 20 --admin-password "conformance passphrase for demo corp" > "$work/seed.log"
  "$BIN" org create "Conformance Corp" >> "$work/seed.log"
  "$BIN" create-admin --org "Conformance Corp" --owner --email owner@conformance.test \
    --first-name Olive --last-name Owner --password "conformance passphrase for the owner" >> "$work/seed.log"
  token=$("$BIN" token create --org "Conformance Corp" --name "SCIM conformance" --scopes scim | tail -n1)
  port=$(free_port)
  "$BIN" serve --addr "127.0.0.1:$port" --base-url "http://127.0.0.1:$port" > "$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break; sleep 0.1; done
  echo "== SCIM conformance ($backend)"
  if ! "$VENV/bin/python" tests/scim/conformance.py "http://127.0.0.1:$port/scim/v2" "$token"; then
    kill "$pid" 2> /dev/null || true
    tail -n 30 "$work/server.log" >&2
    return 1
  fi
  kill "$pid" 2> /dev/null || true
  rm -rf "$work"
}

SQLITE_DIR=$(mktemp -d)
check sqlite "sqlite://$SQLITE_DIR/gatehouse.db"
rm -rf "$SQLITE_DIR"

PG="${TEST_DATABASE_URL_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
DB="gatehouse_scim_$$"
psql "$PG" -qc "CREATE DATABASE $DB" > /dev/null
trap 'psql "$PG" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" > /dev/null' EXIT
check postgres "${PG%/*}/$DB"
