#!/usr/bin/env bash
# Instructions per operation, counted by callgrind (valgrind's instruction
# counter): jwtkeep against the raw primitive for every group, and what
# jwtkeep adds. Counts do not drift with the machine's speed as wall time does.
# Valgrind hides some CPU features (SHA-NI, ADX), so aws-lc takes other code
# paths than in a timed run: compare the added instructions, not the ratios,
# with the timed tables. Needs valgrind (apt-get install valgrind).
# Run: bash bench/instructions.sh [GROUP ...]   (default: every group)
set -euo pipefail
cd "$(dirname "$0")"
bin=$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "instructions" and m.get("executable"):
        print(m["executable"])')
runs=1000
count() {
  valgrind --tool=callgrind --toggle-collect='*measured*' --callgrind-out-file=/dev/null \
    "$bin" "$1" "$2" "$runs" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
if [ $# -eq 0 ]; then
  set -- "HS256 sign" "HS256 verify" "RS256 sign" "RS256 verify" "PS256 sign" "PS256 verify" \
    "ES256 sign" "ES256 verify" "EdDSA sign" "EdDSA verify"
fi
echo "| operation | jwtkeep | raw primitive | added by jwtkeep | primitive / jwtkeep |"
echo "|---|---:|---:|---:|---:|"
for group in "$@"; do
  jk=$(count "$group" jwtkeep)
  raw=$(count "$group" raw)
  python3 -c "
jk, raw, n = $jk / $runs, $raw / $runs, '$group'
print(f'| {n} | {jk:,.0f} | {raw:,.0f} | {jk - raw:,.0f} | {raw / jk:.3f}× |')"
done
