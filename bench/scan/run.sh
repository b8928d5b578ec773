#!/usr/bin/env bash
# Source-scan speed against semgrep with the same rules, in one run, on one
# large real tree: the crate sources cargo unpacked under ~/.cargo/registry/src
# (every machine that built jwtkeep has them), or TREE=... to choose.
#   jwtkeep scan TREE --threads 1 (per core) and all cores
#   semgrep scan --jobs 1 and all cores, with jwtkeep's own source patterns
#     translated into semgrep `pattern-regex` rules (`jwtkeep scan --list-rules
#     --json`), each restricted to its languages' extensions as jwtkeep does
# Both skip files over 8 MB; both honour .gitignore. MB/s = bytes jwtkeep read /
# wall time of the whole command. Page cache warmed first; medians of ROUNDS.
#   bash bench/scan/run.sh        (ROUNDS=3, SEMGREP_ROUNDS=1 by default; semgrep from PyPI in a venv)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$root/target/release/jwtkeep"
rounds=${ROUNDS:-3}
# semgrep takes minutes per pass over the whole tree: one round unless asked.
semgrep_rounds=${SEMGREP_ROUNDS:-1}
tree=${TREE:-$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ | head -n 1)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cores=$(nproc)

(cd "$root" && cargo build --release -p jwtkeep >/dev/null 2>&1)
. "$here/semgrep-env.sh"

"$bin" scan --list-rules --json >"$work/rules.json"
python3 "$here/translate.py" "$work/rules.json" "$work/semgrep.yml"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {print b - a}'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Warm the page cache, and learn the byte count.
bytes=$("$bin" scan "$tree" --json --fail-on never | python3 -c "import json,sys; print(json.load(sys.stdin)['bytes'])")
jwtkeep_findings=$("$bin" scan "$tree" --json --fail-on never | python3 -c "import json,sys; print(sum(1 for f in json.load(sys.stdin)['findings'] if not f['suppressed']))")

run_jwtkeep() { local t0 t1; t0=$(now); "$bin" scan "$tree" --threads "$1" --json --fail-on never >/dev/null; t1=$(now); elapsed "$t0" "$t1"; }
run_semgrep() {
  local t0 t1
  t0=$(now)
  "$semgrep" scan --config "$work/semgrep.yml" --metrics off --disable-version-check --quiet \
    --jobs "$1" --max-target-bytes 8000000 --json --output "$work/semgrep-$1.json" "$tree" >/dev/null 2>&1 || true
  t1=$(now)
  elapsed "$t0" "$t1"
}

: >"$work/times"
for r in $(seq 1 "$rounds"); do
  echo "jwtkeep-1 $(run_jwtkeep 1)" >>"$work/times"
  echo "jwtkeep-$cores $(run_jwtkeep "$cores")" >>"$work/times"
  if [ "$r" -le "$semgrep_rounds" ]; then
    echo "semgrep-1 $(run_semgrep 1)" >>"$work/times"
    echo "semgrep-$cores $(run_semgrep "$cores")" >>"$work/times"
  fi
done
semgrep_findings=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['results']))" "$work/semgrep-1.json")
# semgrep skips more than .gitignore by default (tests/, vendor/, minified files...):
# its rate is taken over the bytes of the files it says it scanned.
semgrep_bytes=$(python3 -c "
import json, os, sys
scanned = json.load(open(sys.argv[1]))['paths']['scanned']
print(sum(os.path.getsize(p) for p in scanned if os.path.exists(p)))" "$work/semgrep-1.json")

echo "tree: $tree; medians of $rounds rounds (semgrep: $semgrep_rounds)"
echo "bytes scanned: jwtkeep $bytes, semgrep $semgrep_bytes"
printf '%-12s %10s %10s\n' tool "wall s" "MB/s"
for tool in jwtkeep-1 "jwtkeep-$cores" semgrep-1 "semgrep-$cores"; do
  t=$(awk -v k="$tool" '$1==k {print $2}' "$work/times" | median)
  b=$bytes; [[ $tool == semgrep* ]] && b=$semgrep_bytes
  rate=$(awk -v b="$b" -v t="$t" 'BEGIN {print b / 1e6 / t}')
  printf '%-12s %10.2f %10.1f\n' "$tool" "$t" "$rate"
  echo "$tool $rate" >>"$work/medians"
done
awk -v c="$cores" '{r[$1]=$2} END {
  printf "jwtkeep / semgrep by MB/s: %.0fx on one core, %.0fx on %d\n", r["jwtkeep-1"]/r["semgrep-1"], r["jwtkeep-" c]/r["semgrep-" c], c
}' "$work/medians"
echo "findings (before jwtkeep's closer checks, semgrep reports every regex match): jwtkeep $jwtkeep_findings, semgrep $semgrep_findings"
