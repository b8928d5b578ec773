#!/usr/bin/env bash
# The weak-secret search against its peers, in one run, on one token and one
# wordlist: an HS256 token with a 152-byte signing input whose secret is on no
# list (so every tool tries every candidate), and 1,000,000 random lines.
#   jwtkeep audit      --threads 1 (per core) and all cores; rate = candidates / seconds
#                      from its --json, which times the search itself
#   hashcat -m 16500   on the CPU through PoCL (Debian hashcat + pocl-opencl-icd);
#                      rate = its own Speed.#1 line; kernels are built by a warm-up run
#   jwt-cracker (npm)  -d wordlist; rate = attempts / its "Time taken"
# Every tool also gets its wall time for the whole list. jwt_tool is not on
# PyPI or npm, the only registries this project reaches, so it is not run.
#   bash bench/audit/run.sh        (ROUNDS=5 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$root/target/release/jwtkeep"
rounds=${ROUNDS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v hashcat >/dev/null || { echo "hashcat is missing: apt-get install hashcat pocl-opencl-icd" >&2; exit 2; }
(cd "$root" && cargo build --release -p jwtkeep >/dev/null 2>&1)
[ -d "$work/jc/node_modules" ] || npm install --prefix "$work/jc" --no-audit --no-fund --loglevel=error jwt-cracker@4.1.1 >/dev/null 2>&1

python3 - "$work" <<'EOF'
import base64, hashlib, hmac, json, random, sys
work = sys.argv[1]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
claims = {"sub": "user-1234", "iss": "https://auth.example.com", "iat": 1700000000, "exp": 1700000900}
payload = b64(json.dumps(claims, separators=(",", ":")).encode())
signing_input = f"{header}.{payload}".encode()
assert len(signing_input) == 152, len(signing_input)
mac = hmac.new(b"on no list: 5b0e7c1d9a", signing_input, hashlib.sha256).digest()
open(f"{work}/token", "w").write(f"{header}.{payload}.{b64(mac)}")
rng = random.Random(16500)
alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_"
with open(f"{work}/words.txt", "w") as f:
    for _ in range(1_000_000):
        f.write("".join(rng.choice(alphabet) for _ in range(rng.randint(6, 16))) + "\n")
EOF
token=$(cat "$work/token")
cores=$(nproc)

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

jwtkeep_round() { # threads -> "rate wall"
  local t0 t1 out
  t0=$(now)
  out=$("$bin" audit "$token" --wordlist "$work/words.txt" --threads "$1" --json || true)
  t1=$(now)
  python3 -c "import json,sys; w=json.loads(sys.argv[1])['weak_secret']; assert not w['found']; print(w['candidates_tried']/w['seconds'], $t1-$t0)" "$out"
}

hashcat_round() {
  local t0 t1 log
  t0=$(now)
  log=$(hashcat -m 16500 -a 0 -D 1 -w 3 --potfile-disable --quiet --status --status-timer 1 \
    --session "jwtkeep-bench-$$" "$work/token" "$work/words.txt" 2>&1 || true)
  t1=$(now)
  # "Speed.#1.........:   895.5 kH/s (...)": the last report of the run.
  echo "$log" | awk -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" '/^Speed.#/ {v=$2; u=$3} END {m=(u=="kH/s")?1e3:(u=="MH/s")?1e6:(u=="GH/s")?1e9:1; print v*m, wall}'
}

cracker_round() {
  local t0 t1 log
  t0=$(now)
  log=$(cd "$work/jc" && node node_modules/.bin/jwt-cracker -t "$token" -d "$work/words.txt" 2>&1 || true)
  t1=$(now)
  echo "$log" | awk -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" '/Time taken/ {s=$NF} /Total attempts/ {n=$NF} END {print n/s, wall}'
}

# Warm-up: hashcat builds its OpenCL kernels on first use and caches them.
hashcat_round >/dev/null
# hashcat's own benchmark mode: its kernel's peak, candidates generated on the
# device instead of read from a wordlist (an upper bound for it, not the same job).
peak=$(hashcat -b -m 16500 -D 1 --quiet 2>&1 | awk '/^Speed.#/ {v=$2; u=$3} END {m=(u=="kH/s")?1e3:(u=="MH/s")?1e6:1; print v*m}')

: >"$work/results"
for r in $(seq 1 "$rounds"); do
  # Rotate the order so no tool always runs first after the others.
  for tool in jwtkeep1 jwtkeepN hashcat cracker; do
    case $tool in
      jwtkeep1) echo "jwtkeep-1 $(jwtkeep_round 1)" ;;
      jwtkeepN) echo "jwtkeep-$cores $(jwtkeep_round "$cores")" ;;
      hashcat) echo "hashcat-$cores $(hashcat_round)" ;;
      cracker) [ "$r" -le 2 ] && echo "jwt-cracker $(cracker_round)" ;;
    esac
  done >>"$work/results"
done

echo "candidates per second (median of $rounds rounds; jwt-cracker 2) and wall time for 1,000,000 candidates"
printf '%-14s %14s %10s\n' tool "cand/s" "wall s"
for tool in jwtkeep-1 "jwtkeep-$cores" "hashcat-$cores" jwt-cracker; do
  rate=$(awk -v t="$tool" '$1==t {print $2}' "$work/results" | median)
  wall=$(awk -v t="$tool" '$1==t {print $3}' "$work/results" | median)
  printf '%-14s %14.0f %10.2f\n' "$tool" "$rate" "$wall"
  echo "$tool $rate $wall" >>"$work/medians"
done
awk -v c="$cores" '
  {rate[$1]=$2; wall[$1]=$3}
  END {
    printf "jwtkeep per core: %.2f M candidates/s\n", rate["jwtkeep-1"]/1e6
    printf "jwtkeep (%d cores) / hashcat (%d cores): %.1fx by rate, %.1fx by wall time\n", c, c, rate["jwtkeep-" c]/rate["hashcat-" c], wall["hashcat-" c]/wall["jwtkeep-" c]
    printf "jwtkeep (%d cores) / jwt-cracker: %.0fx by rate\n", c, rate["jwtkeep-" c]/rate["jwt-cracker"]
    printf "hashcat -b (benchmark mode, no wordlist): %.0f cand/s; jwtkeep (%d cores) / that: %.1fx\n", peak, c, rate["jwtkeep-" c]/peak
  }' peak="$peak" "$work/medians"
