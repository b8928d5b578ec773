#!/usr/bin/env bash
# Load benchmark on loopback, everything in one run: GET /v1/auth/me,
# introspection and refresh of `jwtkeep serve` on its SQLite store, on
# Redis and on PostgreSQL, and of the Node reference (express + jsonwebtoken + redis, written
# the way the JWT guides write it, keys parsed once) in its best form
# (node:cluster, two workers) and its one-process form. wrk from Debian
# drives them, 2 threads and 32 connections each: /me and introspection with
# one access token; refresh over CHAINS (64) independent refresh chains, so
# every request is a real rotation and no connection waits for a chain.
# Every answer is checked.
#   bash bench/load/run.sh        (ROUNDS=3, DUR=5s, CHAINS=64 by default; needs Redis on
#   6379 and PostgreSQL on 5432 with a database `test`)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
chains=${CHAINS:-64}
. "$here/../wrk.sh"
post() { curl -sf -X POST -H 'content-type: application/json' -d "$2" "$1"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

password="load benchmark password"
user="bench-$RANDOM$RANDOM"

# One jwtkeep instance with a user and a client. Its login limit is raised:
# every round logs in again from 127.0.0.1 for fresh refresh chains.
start_jwtkeep() { # name port [env...]
  local name=$1 port=$2; shift 2
  local dir="$work/$name"
  mkdir -p "$dir"
  (cd "$dir" && env "$@" "$bin" store init >/dev/null)
  (cd "$dir" && env "$@" "$bin" user add "$user" <<<"$password" >/dev/null)
  local secret
  secret=$(cd "$dir" && env "$@" "$bin" client add "load-$RANDOM$RANDOM" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['name']+':'+d['secret'])")
  (cd "$dir" && exec env "$@" JWTKEEP_LOGIN_ATTEMPTS=1000 JWTKEEP_LOGIN_ATTEMPTS_PER_ADDRESS=100000 JWTKEEP_LOGIN_ATTEMPTS_PER_ACCOUNT=100000 "$bin" serve --listen "127.0.0.1:$port" 2>"$dir/log") &
  pids+=($!)
  wait_for "http://127.0.0.1:$port/healthz"
  echo "Basic $(printf '%s' "$secret" | base64 -w0)" >"$work/$name.auth"
}

start_reference() { # name port workers
  (cd "$here/reference" && exec node server.js "$2" "$3" >"$work/$1.log" 2>&1) &
  pids+=($!)
  for _ in $(seq 1 200); do grep -q listening "$work/$1.log" 2>/dev/null && break; sleep 0.05; done
  : >"$work/$1.auth"
}

# Fresh tokens for a round: one access token, $chains refresh chains.
tokens() { # name base-url
  local login chain=()
  for _ in $(seq 1 "$chains"); do
    if [[ $1 == reference* ]]; then
      chain+=("$(post "$2/seed" '{"sub":"user-1"}' | field refresh_token)")
    else
      login="{\"username\":\"$user\",\"password\":\"$password\"}"
      chain+=("$(post "$2/v1/auth/login" "$login" | field refresh_token)")
    fi
  done
  if [[ $1 == reference* ]]; then
    ACCESS=$(post "$2/seed" '{"sub":"user-1"}' | field access_token)
  else
    ACCESS=$(post "$2/v1/auth/login" "$login" | field access_token)
  fi
  CHAIN_TOKENS=$(IFS=,; echo "${chain[*]}")
  AUTH=$(cat "$work/$1.auth")
}

# wrk's summary as one line: server endpoint requests/s p50_us p99_us non-2xx.
record() { # server endpoint wrk-output
  local rps p50 p99 bad
  rps=$(grep -m1 'Requests/sec' <<<"$3" | awk '{print $2}')
  p50=$(grep -m1 -o 'p50_us=[0-9]*' <<<"$3" | cut -d= -f2)
  p99=$(grep -m1 -o 'p99_us=[0-9]*' <<<"$3" | cut -d= -f2)
  bad=$(grep -m1 -o 'wrong=[0-9]*' <<<"$3" | cut -d= -f2)
  echo "$1|$2|$rps|$p50|$p99|${bad:-0}" >>"$work/results"
}

declare -A base=([sqlite]=http://127.0.0.1:18081 [redis]=http://127.0.0.1:18082
  [reference]=http://127.0.0.1:18083 [reference_one]=http://127.0.0.1:18084
  [postgres]=http://127.0.0.1:18085)
declare -A me=([sqlite]=/v1/auth/me [redis]=/v1/auth/me [postgres]=/v1/auth/me
  [reference]=/me [reference_one]=/me)
declare -A introspect=([sqlite]=/oauth2/introspect [redis]=/oauth2/introspect
  [postgres]=/oauth2/introspect [reference]=/introspect [reference_one]=/introspect)
declare -A refresh=([sqlite]=/v1/auth/refresh [redis]=/v1/auth/refresh
  [postgres]=/v1/auth/refresh [reference]=/refresh [reference_one]=/refresh)

start_jwtkeep sqlite 18081
master=$("$bin" gen secret --bytes 32)
start_jwtkeep redis 18082 JWTKEEP_MASTER_KEY="$master" JWTKEEP_STORE=redis://127.0.0.1:6379/0 JWTKEEP_STORE_PREFIX="jwtkeep-load-$RANDOM$RANDOM:"
pg_schema="load_$RANDOM$RANDOM"
start_jwtkeep postgres 18085 JWTKEEP_MASTER_KEY="$master" JWTKEEP_STORE=postgres://postgres@127.0.0.1:5432/test JWTKEEP_STORE_PREFIX="$pg_schema"
trap 'cleanup; psql -h 127.0.0.1 -U postgres -d test -qc "DROP SCHEMA IF EXISTS $pg_schema CASCADE" >/dev/null 2>&1 || true' EXIT
start_reference reference 18083 2
start_reference reference_one 18084 1

# Rounds in rotating order, so that a slow stretch of this shared machine
# does not land on one server only; the medians over rounds are reported.
order=(sqlite redis postgres reference reference_one)
for round in $(seq 1 "$rounds"); do
  for i in 0 1 2 3 4; do
    name=${order[$(( (i + round) % 5 ))]}
    tokens "$name" "${base[$name]}"
    record "$name" me "$(TOKEN="$ACCESS" wrk -t2 -c32 -d"$dur" -s "$here/me.lua" "${base[$name]}${me[$name]}")"
    record "$name" introspect "$(TOKEN="$ACCESS" AUTH="$AUTH" wrk -t2 -c32 -d"$dur" -s "$here/introspect.lua" "${base[$name]}${introspect[$name]}")"
    record "$name" refresh "$(TOKENS="$CHAIN_TOKENS" THREADS=2 wrk -t2 -c32 -d"$dur" -s "$here/refresh.lua" "${base[$name]}${refresh[$name]}")"
  done
done

# Login, once: bounded by argon2id (m=19456 KiB, t=2, p=1) by design.
login="{\"username\":\"$user\",\"password\":\"$password\"}"
record sqlite login "$(LOGIN="$login" wrk -t2 -c4 -d"$dur" -s "$here/login.lua" "${base[sqlite]}/v1/auth/login")"

python3 - "$work/results" "$rounds" "$dur" "$chains" <<'PY'
import statistics, sys
rows = [l.strip().split("|") for l in open(sys.argv[1]) if l.strip()]
label = {"sqlite": "jwtkeep, SQLite", "redis": "jwtkeep, Redis", "postgres": "jwtkeep, PostgreSQL",
         "reference": "Node, best form (cluster x2)", "reference_one": "Node, one process"}
endpoints = ["me", "introspect", "refresh"]
print(f"Medians of {sys.argv[2]} rounds of {sys.argv[3]} per server and endpoint; "
      f"wrk 2 threads, 32 connections; refresh over {sys.argv[4]} chains.\n")
print("| server | endpoint | requests/s | p50 | p99 | wrong answers (all rounds) |")
print("|---|---|---|---|---|---|")
med, quart = {}, {}
for server in ["sqlite", "redis", "postgres", "reference", "reference_one"]:
    for endpoint in endpoints:
        got = [r for r in rows if r[0] == server and r[1] == endpoint]
        rps = [float(r[2]) for r in got]
        p50 = statistics.median(int(r[3]) for r in got) / 1000
        p99 = statistics.median(int(r[4]) for r in got) / 1000
        bad = sum(int(r[5]) for r in got)
        med[(server, endpoint)] = statistics.median(rps)
        q1, _, q3 = statistics.quantiles(rps, n=4) if len(rps) > 1 else (rps[0],) * 3
        quart[(server, endpoint)] = (q1, q3)
        print(f"| {label[server]} | {endpoint} | {statistics.median(rps):.0f} "
              f"(quartiles {q1:.0f}–{q3:.0f}) | {p50:.2f} ms | {p99:.2f} ms | {bad} |")
login = [r for r in rows if r[1] == "login"]
for r in login:
    print(f"| jwtkeep, SQLite | login (argon2id m=19456 KiB, t=2, p=1; one run) | {float(r[2]):.0f} | {int(r[3]) / 1000:.2f} ms | {int(r[4]) / 1000:.2f} ms | {r[5]} |")
print()
for endpoint in endpoints:
    ref = med[("reference", endpoint)]
    worst = lambda server: quart[(server, endpoint)][0] / quart[("reference", endpoint)][1]
    print(f"- {endpoint}: jwtkeep on SQLite {med[('sqlite', endpoint)] / ref:.2f}×, "
          f"on Redis {med[('redis', endpoint)] / ref:.2f}×, "
          f"on PostgreSQL {med[('postgres', endpoint)] / ref:.2f}× the best Node form's throughput "
          f"(jwtkeep's lower quartile over Node's upper: {worst('sqlite'):.2f}×, "
          f"{worst('redis'):.2f}×, {worst('postgres'):.2f}×)")
PY
