#!/usr/bin/env bash
# The Gatehouse benchmark (see bench/README section in the top README).
#
#   bench/run.sh [--users N] [--backend sqlite|postgres] [--duration S] [--workspaces W] [--quick]
#
# --workspaces W spreads the people over W workspaces (seed-demo --workspaces) and adds the
# workspace Users page; --quick runs only W1, the workspace page and W4 (to compare two builds
# or seedings in the same hour).
#
# Builds the LTO profile, seeds a fresh database with `seed-demo`, starts the server, signs in
# as the demo admin and drives each workload with wrk for S seconds (after a warm-up) at 1 and
# 32 connections. Appends a markdown table to bench/RESULTS.md. Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=100000
BACKEND=sqlite
DURATION=10
WORKSPACES=1
QUICK=0
LOGIN_RPS=""
EXPORT_ROWS=0
EXPORT_SECONDS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --users) USERS="$2"; shift 2 ;;
    --backend) BACKEND="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --workspaces) WORKSPACES="$2"; shift 2 ;;
    --quick) QUICK=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v curl >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --profile bench-release --quiet
BIN="$CARGO_TARGET_DIR/bench-release/gatehouse"

WORK=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
PORT=18480
BASE="http://127.0.0.1:$PORT"
PASSWORD="benchmark passphrase for demo corp"
case "$BACKEND" in
  sqlite) export DATABASE_URL="sqlite://$WORK/gatehouse.db" ;;
  postgres)
    PGADMIN="${BENCH_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
    psql "$PGADMIN" -qc "DROP DATABASE IF EXISTS gatehouse_bench WITH (FORCE)" -c "CREATE DATABASE gatehouse_bench"
    export DATABASE_URL="${PGADMIN%/*}/gatehouse_bench" ;;
  *) echo "backend must be sqlite or postgres" >&2; exit 2 ;;
esac

echo "seeding $USERS users on $BACKEND..."
SEED_START=$(date +%s.%N)
"$BIN" --data-dir "$WORK" seed-demo --users "$USERS" $([ "$WORKSPACES" -gt 1 ] && echo --workspaces "$WORKSPACES") --admin-password "$PASSWORD" | tee "$WORK/seed.log"
SEED_SECONDS=$(python3 -c "import sys; print(float(sys.argv[1]) - float(sys.argv[2]))" "$(date +%s.%N)" "$SEED_START")

# A token for the machine doors (JSON API and SCIM), made as an operator would.
API_TOKEN=$("$BIN" --data-dir "$WORK" token create --org "Demo Corp" --name bench --scopes users:read,scim | tail -n1)
"$BIN" --data-dir "$WORK" serve --addr "127.0.0.1:$PORT" --login-attempts-per-minute 100000000 --api-requests-per-minute 100000000 --db-pool-size 8 > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# Sign in once per person and reuse the session cookie (bench/sign-in.sh).
. bench/sign-in.sh
JAR="$WORK/jar"
COOKIE=$(sign_in "admin@demo.test" "$JAR" "$BASE" "$WORK/server.log")
curl -fs -H "Cookie: $COOKIE" "$BASE/users" > "$WORK/page1.html" || { echo "sign-in failed" >&2; tail "$WORK/server.log"; exit 1; }

AGENT=$(grep -o '<option value="[0-9]*">Agent</option>' "$WORK/page1.html" | grep -o '[0-9]*' | head -n1)
FIRST_ID_GUESS=$(grep -o 'id="user-[0-9]*"' "$WORK/page1.html" | grep -o '[0-9]*' | sort -n | tail -n1)
# The demo's tags: VIP (2% of users) and Key account (5%).
VIP=$(grep -o '<option value="[0-9]*">VIP</option>' "$WORK/page1.html" | grep -o '[0-9]*' | head -n1)
# Page 1,000 by following the cursor.
DEEP="/users"
for _ in $(seq 1 999); do
  NEXT=$(curl -fs -H "Cookie: $COOKIE" "$BASE$DEEP" | grep -o 'href="[^"]*" hx-get="[^"]*" hx-target="#user-table" hx-swap="outerHTML" hx-push-url="true" rel="next"' | sed 's/^href="//; s/".*//; s/&#38;/\&/g; s/&amp;/\&/g')
  [ -n "$NEXT" ] || break
  DEEP="$NEXT"
done

# The machine doors: the same page of 50 users as JSON, and an identity provider's lookup of
# one user by userName, with the bearer token instead of the session cookie.
SOME_EMAIL=$(grep -o '<td class="email">[^<]*' "$WORK/page1.html" | sed 's/.*>//' | sed -n 5p)
SCIM_LOOKUP="/scim/v2/Users?filter=userName%20eq%20%22${SOME_EMAIL/@/%40}%22"
curl -fs -H "Authorization: Bearer $API_TOKEN" "$BASE$SCIM_LOOKUP" | grep -q '"totalResults":1' || { echo "the SCIM lookup finds nobody" >&2; exit 1; }
run_api() { # name connections path
  local saved="$COOKIE"
  COOKIE="x"; API_HEADER="Authorization: Bearer $API_TOKEN" run_wrk "$@"
  COOKIE="$saved"
}

run_wrk() { # name connections path [script]
  local name="$1" conns="$2" path="$3" script="${4:-}"
  local args=(-t "$(( conns < 2 ? 1 : 2 ))" -c "$conns" -d "${DURATION}s" --latency -H "Cookie: $COOKIE")
  [ -n "${API_HEADER:-}" ] && args+=(-H "$API_HEADER")
  [ -n "$script" ] && args+=(-s "$script")
  wrk "${args[@]}" -d 2s "$BASE$path" >/dev/null 2>&1 || true   # warm-up
  wrk "${args[@]}" "$BASE$path" > "$WORK/wrk.out" 2>&1 || true
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ { print $2 }' "$WORK/wrk.out")
  p50=$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.out")
  p99=$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.out")
  errors=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$WORK/wrk.out")
  echo "| $name | $conns | ${rps:-?} | ${p50:-?} | ${p99:-?} | $errors |" | tee -a "$WORK/table.md"
}

: > "$WORK/table.md"
for conns in 32 1; do
  run_wrk "W1 page 1 (name)" "$conns" "/users"
  run_api "API GET /api/v1/users (50)" "$conns" "/api/v1/users"
  run_api "SCIM userName eq" "$conns" "$SCIM_LOOKUP"
  [ "$QUICK" = 1 ] && continue
  run_wrk "W1-deep page 1,000" "$conns" "$DEEP"
  run_wrk "W2 search \"northwind\"" "$conns" "/users?q=northwind"
  run_wrk "W3 Agent + active" "$conns" "/users?role=$AGENT&active=1"
  if [ -n "$VIP" ]; then run_wrk "W3-tag VIP + active" "$conns" "/users?group=$VIP&active=1"; fi
done

# Workspaces: the Users page of the second of W (about N / W members), as its Owner.
if [ "$WORKSPACES" -gt 1 ]; then
  WS=$(curl -fs -H "Cookie: $COOKIE" -H "HX-Request: true" "$BASE/workspaces/switcher" | grep -o '<option value="[0-9]*"' | grep -o '[0-9]*' | sed -n 2p)
  curl -fs -H "Cookie: $COOKIE" "$BASE/workspaces/$WS/users" | grep -q 'id="member-' || { echo "the workspace page shows nobody" >&2; exit 1; }
  for conns in 32 1; do
    run_wrk "W1-workspace page 1, one of $WORKSPACES workspaces" "$conns" "/workspaces/$WS/users"
  done
fi

# W4: Save of the Edit User dialog, each request a different user (each save bumps the
# user's version, so a user is saved once per run), with the CSRF token and the audit row.
PAGE_CSRF=$(token_of < "$WORK/page1.html")
FIRST_ID=$(grep -o 'id="user-[0-9]*"' "$WORK/page1.html" | grep -o '[0-9]*' | sort -n | head -n1)
FIRST_ID=$((FIRST_ID + 1)) # the smallest id is the admin (inserted first); never edit oneself
cat > "$WORK/edit.lua" <<'LUA'
local id = tonumber(os.getenv("W4_START"))
local csrf = os.getenv("W4_CSRF")
local agent = os.getenv("W4_AGENT")
-- wrk.format replaces wrk.headers when given headers: keep the Cookie and Host of -H.
local headers = {}
for name, value in pairs(wrk.headers) do headers[name] = value end
headers["Content-Type"] = "application/x-www-form-urlencoded"
headers["HX-Request"] = "true"
request = function()
  local body = "csrf_token=" .. csrf .. "&version=1&first_name=Bench&last_name=User" .. id ..
    "&email=w4-" .. id .. "%40demo.test&phone=&timezone=UTC&language=en&division=&chat_scope=all" ..
    "&ip_allowlist=&call_recording=0&active=0&active=1&confirmed=1&role=" .. agent
  local path = "/users/" .. id .. "/edit"
  id = id + 1
  return wrk.format("POST", path, headers, body)
end
LUA
run_w4() {
export W4_CSRF="$PAGE_CSRF" W4_AGENT="$AGENT"
for conns in 32 1; do
  export W4_START=$(( FIRST_ID + (conns == 32 ? 0 : 40000) ))
  # One wrk thread, so every request edits a different user; no warm-up (it would use ids up).
  wrk -t 1 -c "$conns" -d "${DURATION}s" --latency -H "Cookie: $COOKIE" -s "$WORK/edit.lua" "$BASE/users" > "$WORK/wrk.out" 2>&1 || true
  rps=$(awk '/Requests\/sec/ { print $2 }' "$WORK/wrk.out")
  p50=$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.out")
  p99=$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.out")
  errors=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$WORK/wrk.out")
  echo "| W4 save Edit User | $conns | ${rps:-?} | ${p50:-?} | ${p99:-?} | $errors |" | tee -a "$WORK/table.md"
done
}

# --quick: W1, the workspace page and W4 only.
if [ "$QUICK" = 1 ]; then run_w4; fi

if [ "$QUICK" = 0 ]; then

# A scoped administrator: the demo's lead@demo.test, an Admin of one division (of six); W1
# and W3 as they see them (the issue asks: within 10% of unscoped).
SCOPED_COOKIE=$(sign_in "lead@demo.test" "$WORK/lead-jar" "$BASE" "$WORK/server.log")
curl -fs -H "Cookie: $SCOPED_COOKIE" "$BASE/users" | grep -q 'id="user-' || { echo "the scoped admin sees nobody" >&2; exit 1; }
for conns in 32 1; do
  COOKIE_SAVED="$COOKIE"; COOKIE="$SCOPED_COOKIE"
  run_wrk "W1-scoped page 1, one division" "$conns" "/users"
  run_wrk "W3-scoped Agent + active, one division" "$conns" "/users?role=$AGENT&active=1"
  COOKIE="$COOKIE_SAVED"
done

# The demo's user fields: the list with three of them as columns (and the group chips), and
# filters on a field (a quarter of the users hold "predictive"; one holds each extension).
field_id_of() { grep -o "<option value=\"[0-9]*\">$1</option>" "$WORK/page1.html" | grep -o '[0-9]*' | head -n1; }
AUTO=$(field_id_of "Auto Dial"); CALLER=$(field_id_of "Caller ID Number"); EXT=$(field_id_of "Virtual Extension")
if [ -n "$AUTO" ] && [ -n "$EXT" ]; then
  COLUMNS_CSRF=$(token_of < "$WORK/page1.html")
  curl -fs -o /dev/null -H "Cookie: $COOKIE" -X POST "$BASE/users/columns" \
    --data-urlencode "csrf_token=$COLUMNS_CSRF" --data "column=$AUTO&column=$CALLER&column=$EXT"
  SOME_EXT=$(( 100000 + FIRST_ID_GUESS ))
  for conns in 32 1; do
    run_wrk "W1-fields page 1 + 3 field columns" "$conns" "/users"
    run_wrk "W3-field Auto Dial = predictive + active" "$conns" "/users?field=$AUTO&field_value=predictive&active=1"
    run_wrk "W3-field-rare one extension" "$conns" "/users?field=$EXT&field_value=$SOME_EXT&active=0"
  done
  curl -fs -o /dev/null -H "Cookie: $COOKIE" -X POST "$BASE/users/columns" --data-urlencode "csrf_token=$COLUMNS_CSRF"
fi

run_w4

# W5: sign-ins (argon2) at 8 connections while W1 runs at 32.
EMAILS=$(grep -o '<td class="email">[^<]*' "$WORK/page1.html" | sed 's/.*>//' | head -n 20 | paste -sd, -)
LOGIN_JAR="$WORK/login-jar"
LOGIN_CSRF=$(curl -fs -c "$LOGIN_JAR" "$BASE/login" | token_of)
LOGIN_COOKIE=$(awk '/^#HttpOnly_/ || (!/^#/ && NF >= 7) { printf "%s=%s; ", $6, $7 }' "$LOGIN_JAR")
cat > "$WORK/login.lua" <<LUA
local emails = {}
for e in string.gmatch("$EMAILS", "[^,]+") do emails[#emails + 1] = e end
local i = 0
request = function()
  i = i + 1
  local body = "csrf_token=$LOGIN_CSRF&email=" .. emails[(i % #emails) + 1] .. "&password=$(echo "$PASSWORD" | sed 's/ /+/g')"
  return wrk.format("POST", "/login", { ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "$LOGIN_COOKIE" }, body)
end
LUA
wrk -t 1 -c 8 -d "$((DURATION + 2))s" -s "$WORK/login.lua" "$BASE/login" > "$WORK/w5-login.out" 2>&1 &
W5=$!
sleep 1
run_wrk "W5: W1 during sign-ins" 32 "/users"
wait $W5 || true
LOGIN_RPS=$(awk '/Requests\/sec/ { print $2 }' "$WORK/w5-login.out")

# Export: the whole organization as CSV (streamed), timed end to end.
EXPORT_START=$(date +%s.%N)
curl -fs -H "Cookie: $COOKIE" "$BASE/users/export.csv?active=0" -o "$WORK/export.csv"
EXPORT_SECONDS=$(python3 -c "import sys; print(float(sys.argv[1]) - float(sys.argv[2]))" "$(date +%s.%N)" "$EXPORT_START")
EXPORT_ROWS=$(( $(wc -l < "$WORK/export.csv") - 1 ))

fi # not --quick

RSS_KB=$(awk '/VmHWM/ { print $2 }' "/proc/$SERVER/status")
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

# The control (the bare stack, ../shared/bench-control) on the same machine, right after, with
# the server stopped: every figure is then read as a ratio to it (BENCH_CONTROL=none skips it).
kill $SERVER 2>/dev/null || true
wait $SERVER 2>/dev/null || true
CONTROL="${BENCH_CONTROL:-$(cd .. && pwd)/shared/bench-control/run.sh}"
: > "$WORK/control.txt"
if [ "$CONTROL" != none ] && [ -f "$CONTROL" ]; then
  echo "running the control ($CONTROL)..."
  DURATION="$DURATION" bash "$CONTROL" --users "$USERS" | tee "$WORK/control.txt" || true
fi
{
  echo
  echo "## $(date -u +%Y-%m-%d) · $BACKEND · N = $USERS · $WORKSPACES workspace(s)$([ "$QUICK" = 1 ] && echo " · quick") · commit $COMMIT"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB; load generator (wrk) on the same machine; ${DURATION} s per run."
  echo "seed-demo: $(printf %.1f "$SEED_SECONDS") s. Peak server RSS: $((RSS_KB / 1024)) MB. W5 sign-ins: ${LOGIN_RPS:-?} req/s at 8 connections. Export: $EXPORT_ROWS users as CSV in $(printf %.1f "$EXPORT_SECONDS") s."
  echo
  echo "| workload | connections | req/s | p50 | p99 | errors |"
  echo "|---|---|---|---|---|---|"
  cat "$WORK/table.md"
  python3 bench/ratios.py "$WORK/table.md" "$WORK/control.txt"
} >> bench/RESULTS.md
echo "results appended to bench/RESULTS.md"
