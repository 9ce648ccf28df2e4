#!/usr/bin/env bash
# The soak (issue #19): two instances of the release binary on one PostgreSQL database with
# N users, and M minutes of mixed traffic at 32 connections (16 on each instance): the list,
# searches, filters, Edit User saves, JSON API pages and sign-ins, while 20 live connections
# (presence and Activity) stay open. Every minute it samples each instance's RSS and open
# files and the database's connections; at the end it counts error answers. Not part of
# `cargo test`.
#
#   bench/soak.sh [--users N] [--minutes M]
#
# Prints a markdown report and appends it to bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=100000
MINUTES=10
while [ $# -gt 0 ]; do
  case "$1" in
    --users) USERS="$2"; shift 2 ;;
    --minutes) MINUTES="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v psql >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; }

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --profile bench-release --quiet
BIN="$CARGO_TARGET_DIR/bench-release/gatehouse"

WORK=$(mktemp -d /tmp/gatehouse-soak.XXXXXX)
PGADMIN="${BENCH_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
psql "$PGADMIN" -qc "DROP DATABASE IF EXISTS gatehouse_soak WITH (FORCE)" -c "CREATE DATABASE gatehouse_soak"
export DATABASE_URL="${PGADMIN%/*}/gatehouse_soak"
PASSWORD="soak passphrase for demo corp"

echo "seeding $USERS users on PostgreSQL..."
"$BIN" --data-dir "$WORK" seed-demo --users "$USERS" --admin-password "$PASSWORD" > "$WORK/seed.log"
API_TOKEN=$("$BIN" --data-dir "$WORK" token create --org "Demo Corp" --name soak --scopes users:read | tail -n1)

PORTS=(18481 18482)
PIDS=()
for i in 0 1; do
  "$BIN" --data-dir "$WORK" serve --addr "127.0.0.1:${PORTS[$i]}" --base-url "http://127.0.0.1:${PORTS[0]}" \
    --login-attempts-per-minute 100000000 --api-requests-per-minute 100000000 --db-pool-size 8 \
    > "$WORK/server$i.log" 2>&1 &
  PIDS+=($!)
done
WATCHERS=()
cleanup() {
  for pid in "${WATCHERS[@]}" "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  # The instances finish their requests and mail first (SIGTERM), then the files go.
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
for port in "${PORTS[@]}"; do
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
done
A="http://127.0.0.1:${PORTS[0]}"

. bench/sign-in.sh
COOKIE=$(sign_in "admin@demo.test" "$WORK/jar" "$A" "$WORK"/server*.log)
curl -fs -H "Cookie: $COOKIE" "$A/users" > "$WORK/page1.html"
CSRF=$(token_of < "$WORK/page1.html")
AGENT=$(grep -o '<option value="[0-9]*">Agent</option>' "$WORK/page1.html" | grep -o '[0-9]*' | head -n1)
FIRST_ID=$(( $(grep -o 'id="user-[0-9]*"' "$WORK/page1.html" | grep -o '[0-9]*' | sort -n | head -n1) + 1 ))

# The first 30 pages' addresses, following the cursor, for the list's share of the mix.
PAGES="/users"
PAGE="/users"
for _ in $(seq 1 29); do
  PAGE=$(curl -fs -H "Cookie: $COOKIE" "$A$PAGE" | grep -o 'href="[^"]*" hx-get="[^"]*" hx-target="#user-table" hx-swap="outerHTML" hx-push-url="true" rel="next"' | sed 's/^href="//; s/".*//; s/&#38;/\&/g; s/&amp;/\&/g')
  [ -n "$PAGE" ] || break
  PAGES="$PAGES|$PAGE"
done

# 20 live connections, half on each instance, held for the whole run. They share the admin's
# session, which holds at most 12 (over both instances): the 8 oldest are ended as replaced,
# as a browser's would be, and the report says how many were still open at the end.
for i in $(seq 1 10); do
  for port in "${PORTS[@]}"; do
    stream=$([ $((i % 2)) = 0 ] && echo presence || echo activity)
    curl -sN -H "Cookie: $COOKIE" "http://127.0.0.1:$port/$stream/stream" > /dev/null 2>&1 &
    WATCHERS+=($!)
  done
done

# Sign-ins: a fresh browser signs in as the demo's division lead every 2 seconds, on
# alternating instances, for the whole run.
(
  n=0
  end=$(( $(date +%s) + MINUTES * 60 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    n=$((n + 1))
    port=${PORTS[$((n % 2))]}
    cookie=$(sign_in "lead@demo.test" "$WORK/lead-jar-$n" "http://127.0.0.1:$port" "$WORK"/server*.log 2>/dev/null || true)
    rm -f "$WORK/lead-jar-$n"
    if curl -fs -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:$port/users"; then
      echo ok >> "$WORK/sign-ins"
    else
      echo failed >> "$WORK/sign-ins"
    fi
    sleep 2
  done
) &
SIGNER=$!

# The mix, per request: 45% the list (one of its first 30 pages), 20% a search,
# 10% a role filter, 10% the JSON API, 15% an Edit User save (each of a different user).
cat > "$WORK/mix.lua" <<'LUA'
local id = tonumber(os.getenv("SOAK_START"))
local csrf = os.getenv("SOAK_CSRF")
local agent = os.getenv("SOAK_AGENT")
local token = os.getenv("SOAK_TOKEN")
local words = { "ann", "smith", "north", "lee", "mar", "son", "kim", "ali", "ers", "ez" }
local pages = {}
for page in string.gmatch(os.getenv("SOAK_PAGES"), "[^|]+") do pages[#pages + 1] = page end
local base = {}
for name, value in pairs(wrk.headers) do base[name] = value end
local errors = 0
local function with(extra)
  local h = {}
  for name, value in pairs(base) do h[name] = value end
  for name, value in pairs(extra) do h[name] = value end
  return h
end
request = function()
  local r = math.random(100)
  if r <= 45 then
    return wrk.format("GET", pages[math.random(#pages)], base)
  elseif r <= 65 then
    return wrk.format("GET", "/users?q=" .. words[math.random(#words)], base)
  elseif r <= 75 then
    return wrk.format("GET", "/users?role=" .. agent .. "&active=1", base)
  elseif r <= 85 then
    return wrk.format("GET", "/api/v1/users", with({ ["Authorization"] = "Bearer " .. token, ["Cookie"] = "" }))
  end
  local body = "csrf_token=" .. csrf .. "&version=1&first_name=Soak&last_name=User" .. id ..
    "&email=soak-" .. id .. "%40demo.test&phone=&timezone=UTC&language=en&division=&chat_scope=all" ..
    "&ip_allowlist=&call_recording=0&active=0&active=1&confirmed=1&role=" .. agent
  local path = "/users/" .. id .. "/edit"
  id = id + 1
  return wrk.format("POST", path, with({ ["Content-Type"] = "application/x-www-form-urlencoded", ["HX-Request"] = "true" }), body)
end
response = function(status)
  if status >= 400 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("answers >= 400: %d\n", errors))
end
LUA

sample() { # label
  local conns names=(A B)
  conns=$(psql "$PGADMIN" -Atc "SELECT count(*) FROM pg_stat_activity WHERE datname = 'gatehouse_soak'")
  for i in 0 1; do
    echo "| $1 | ${names[$i]} | $(( $(awk '/VmRSS/ { print $2 }' "/proc/${PIDS[$i]}/status") / 1024 )) MB | $(ls "/proc/${PIDS[$i]}/fd" | wc -l) | $conns |" >> "$WORK/samples.md"
  done
}

echo "soaking for $MINUTES minutes..."
export SOAK_CSRF="$CSRF" SOAK_AGENT="$AGENT" SOAK_TOKEN="$API_TOKEN" SOAK_PAGES="$PAGES"
SOAK_START=$FIRST_ID wrk -t 1 -c 16 -d "${MINUTES}m" --latency -H "Cookie: $COOKIE" -s "$WORK/mix.lua" "$A/users" > "$WORK/wrk-a.out" 2>&1 &
WRK_A=$!
SOAK_START=$(( FIRST_ID + USERS / 2 )) wrk -t 1 -c 16 -d "${MINUTES}m" --latency -H "Cookie: $COOKIE" -s "$WORK/mix.lua" "http://127.0.0.1:${PORTS[1]}/users" > "$WORK/wrk-b.out" 2>&1 &
WRK_B=$!
sleep 20
sample "start (20 s)"
for minute in $(seq 1 $(( MINUTES - 1 ))); do
  sleep 60
  sample "minute $minute"
done
wait "$WRK_A" "$WRK_B" || true
sample "end"
wait "$SIGNER" || true
HELD=0
for pid in "${WATCHERS[@]}"; do kill -0 "$pid" 2>/dev/null && HELD=$((HELD + 1)); done

summary() { # file instance
  local rps p50 p99 errs sock
  rps=$(awk '/Requests\/sec/ { print $2 }' "$1")
  p50=$(awk '$1 == "50%" { print $2 }' "$1")
  p99=$(awk '$1 == "99%" { print $2 }' "$1")
  errs=$(awk '/answers >= 400/ { print $NF }' "$1")
  sock=$(awk '/Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$1")
  echo "| $2 | ${rps:-?} | ${p50:-?} | ${p99:-?} | ${errs:-?} | $sock |"
}
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
REPORT="$WORK/report.md"
{
  echo
  echo "## Soak $(date -u +%Y-%m-%d) · PostgreSQL · two instances · N = $USERS · $MINUTES min · commit $COMMIT"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB; wrk on the same machine, 16 connections per instance; 20 live connections held (still open at the end: $HELD of 20); sign-ins: $(grep -c ok "$WORK/sign-ins" 2>/dev/null || true) ok, $(grep -c failed "$WORK/sign-ins" 2>/dev/null || true) failed."
  echo
  echo "| instance | req/s | p50 | p99 | answers ≥ 400 | socket errors |"
  echo "|---|---|---|---|---|---|"
  summary "$WORK/wrk-a.out" A
  summary "$WORK/wrk-b.out" B
  echo
  echo "| when | instance | RSS | open files | database connections (both) |"
  echo "|---|---|---|---|---|"
  cat "$WORK/samples.md"
} > "$REPORT"
cat "$REPORT"
cat "$REPORT" >> bench/RESULTS.md
grep -h " ERROR \|panicked" "$WORK"/server*.log | head -n 5 || true
echo "report appended to bench/RESULTS.md"
