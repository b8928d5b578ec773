#!/usr/bin/env bash
# The gate's /verify against the reference (express + panva/jose + a Redis
# denylist lookup, node:cluster with two workers), in one run on loopback:
# the same token, wrk with 2 threads and 32 connections, rounds in rotating
# order, medians reported. Also the guard's cost inside an axum service:
# one handler served bare and behind GuardLayer (bench/src/bin/guarded_api.rs),
# asked by wrk in the same rounds and timed in process.
#   bash bench/gate/run.sh        (ROUNDS=3, DUR=5s by default; needs Redis on 6379)
#   GATE_ENV=TOKIO_WORKER_THREADS=1 bash bench/gate/run.sh    (the gate on one worker thread)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../wrk.sh"
api="$root/bench/target/release/guarded_api"
(cd "$root/bench" && cargo build --release --bin guarded_api -q)

# The issuer, with a user and the gate's client.
password="gate benchmark password"
(cd "$work" && "$bin" user add alice <<<"$password" >/dev/null)
secret=$(cd "$work" && "$bin" client add gate --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
sport=$(free_port)
(cd "$work" && exec "$bin" serve --listen "127.0.0.1:$sport" 2>"$work/serve.log") &
pids+=($!)
issuer="http://127.0.0.1:$sport"
wait_for "$issuer/healthz"
token=$(curl -sf -X POST -H 'content-type: application/json' \
  -d "{\"username\":\"alice\",\"password\":\"$password\"}" "$issuer/v1/auth/login" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

gport=$(free_port)
env JWTKEEP_CLIENT_ID=gate JWTKEEP_CLIENT_SECRET="$secret" ${GATE_ENV:-} \
  "$bin" gate --issuer "$issuer" --audience jwtkeep --listen "127.0.0.1:$gport" 2>"$work/gate.log" &
pids+=($!)
wait_for "http://127.0.0.1:$gport/readyz"

rport=$(free_port)
(cd "$here/reference" && exec node server.js "$rport" "$issuer/.well-known/jwks.json" "$issuer" jwtkeep >"$work/reference.log" 2>&1) &
pids+=($!)
for _ in $(seq 1 200); do grep -q listening "$work/reference.log" 2>/dev/null && break; sleep 0.05; done

# The same handler bare and guarded, in one axum service following the issuer.
pport=$(free_port)
aport=$(free_port)
env JWTKEEP_CLIENT_ID=gate JWTKEEP_CLIENT_SECRET="$secret" \
  "$api" "$issuer" "$pport" "$aport" >"$work/api.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do grep -q listening "$work/api.log" 2>/dev/null && break; sleep 0.05; done

declare -A base=([gate]="http://127.0.0.1:$gport/verify" [reference]="http://127.0.0.1:$rport/verify"
  [axum_plain]="http://127.0.0.1:$pport/orders" [axum_guarded]="http://127.0.0.1:$aport/orders")
: >"$work/results"
order=(gate reference axum_plain axum_guarded)
for round in $(seq 1 "$rounds"); do
  for i in 0 1 2 3; do
    name=${order[$(( (i + round) % 4 ))]}
    out=$(TOKEN="$token" wrk -t2 -c32 -d"$dur" -s "$here/verify.lua" "${base[$name]}")
    rps=$(grep -m1 'Requests/sec' <<<"$out" | awk '{print $2}')
    p50=$(grep -m1 -o 'p50_us=[0-9]*' <<<"$out" | cut -d= -f2)
    p99=$(grep -m1 -o 'p99_us=[0-9]*' <<<"$out" | cut -d= -f2)
    bad=$(grep -m1 -o 'wrong=[0-9]*' <<<"$out" | cut -d= -f2)
    echo "$name|$rps|$p50|$p99|$bad" >>"$work/results"
  done
done

python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, p50, p99, bad = line.strip().split("|")
    rows.setdefault(name, []).append((float(rps), int(p50), int(p99), int(bad)))
med = {n: tuple(statistics.median(v[i] for v in r) for i in range(4)) for n, r in rows.items()}
print("| asked | requests/s | p50 | p99 | non-200 |")
print("|---|---|---|---|---|")
for n in ("gate", "reference", "axum_plain", "axum_guarded"):
    rps, p50, p99, bad = med[n]
    print(f"| {n} | {rps:,.0f} | {p50/1000:.2f} ms | {p99/1000:.2f} ms | {bad:.0f} |")
print(f"\nratio gate/reference: {med['gate'][0] / med['reference'][0]:.2f}x")
plain, guarded = med["axum_plain"], med["axum_guarded"]
print(f"guard in axum: p50 {(guarded[1] - plain[1]) / 1000:+.3f} ms, "
      f"p99 {(guarded[2] - plain[2]) / 1000:+.3f} ms, throughput {guarded[0] / plain[0]:.2f} of bare")
PY
# Per request, without the network: the same handler called in a loop.
env JWTKEEP_CLIENT_ID=gate JWTKEEP_CLIENT_SECRET="$secret" TOKEN="$token" \
  "$api" "$issuer" --in-process
