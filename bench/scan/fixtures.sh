#!/usr/bin/env bash
# Recall and precision on the labelled fixture set
# (crates/jwtkeep-audit/tests/scan-fixtures), in one run, for:
#   jwtkeep scan                      (parsing, dataflow, patterns)
#   semgrep, JWT rules                (bench/scan/jwt-rules.yml: the checks of the
#                                      registry's p/jwt pack, written for this
#                                      bench; the registry is not reachable here)
#   semgrep, jwtkeep's patterns       (jwtkeep's regex rules translated, as
#                                      bench/scan/run.sh does: jwtkeep without
#                                      its parser)
# A mark `jwtkeep:expect RULE` on a line is one expected finding. Scored two
# ways: by line (the finding is on the marked line: what a reviewer is shown)
# and by file (a finding of the rule anywhere in the marked file counts, for
# tools that report at the call rather than at the literal).
# The fixtures are copied out of tests/ first: semgrep skips tests/ by default.
#   bash bench/scan/fixtures.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$root/target/release/jwtkeep"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$root" && cargo build --release -p jwtkeep >/dev/null 2>&1)
. "$here/semgrep-env.sh"

cp -r "$root/crates/jwtkeep-audit/tests/scan-fixtures" "$work/fixtures"
"$bin" scan "$work/fixtures" --json --fail-on never --now 1800000000 >"$work/jwtkeep.json"
"$bin" scan --list-rules --json >"$work/rules.json"
python3 "$here/translate.py" "$work/rules.json" "$work/patterns.yml" 2>/dev/null
for config in jwt-rules:"$here/jwt-rules.yml" patterns:"$work/patterns.yml"; do
  "$semgrep" scan --config "${config#*:}" --metrics off --disable-version-check --quiet \
    --json --output "$work/semgrep-${config%%:*}.json" "$work/fixtures" >/dev/null 2>&1 || true
done

python3 - "$work" <<'PY'
import json, os, re, sys
from collections import Counter

work = sys.argv[1]
fixtures = os.path.join(work, "fixtures")
MARKS = marks = set()
for d, _, names in os.walk(fixtures):
    for n in names:
        p = os.path.join(d, n)
        rel = os.path.relpath(p, fixtures)
        for i, line in enumerate(open(p, encoding="utf-8", errors="replace"), 1):
            for rule in re.findall(r"jwtkeep:expect ([a-z-]+)", line):
                marks.add((rel, i, rule))
rules = {r for _, _, r in marks}

def jwtkeep():
    out = []
    for f in json.load(open(os.path.join(work, "jwtkeep.json")))["findings"]:
        if not f["suppressed"]:
            out.append((f["path"], f["line"], f["rule"]))
    return out

def semgrep(name):
    out = []
    for r in json.load(open(os.path.join(work, f"semgrep-{name}.json")))["results"]:
        rule = r["check_id"].rsplit(".", 1)[-1] if name == "patterns" else r["check_id"].split(".")[-2]
        rule = re.sub(r"-\d+$", "", rule)
        out.append((os.path.relpath(r["path"], fixtures), r["start"]["line"], rule))
    return out

def score(found, only=None):
    marks_ = {m for m in MARKS if only is None or m[2] in only}
    found = {f for f in found if only is None or f[2] in only}
    return _score(found, marks_)

def _score(found, marks):
    tp = len(found & marks)
    by_line = (tp / len(marks), tp / len(found) if found else 1.0)
    want = Counter((p, r) for p, _, r in marks)
    got = Counter((p, r) for p, _, r in found)
    tp_f = sum(min(n, got[k]) for k, n in want.items())
    by_file = (tp_f / len(marks), tp_f / sum(got.values()) if got else 1.0)
    return len(found), by_line, by_file

tools = [
    ("jwtkeep scan", jwtkeep()),
    ("semgrep, JWT rules", semgrep("jwt-rules")),
    ("semgrep, jwtkeep's patterns", semgrep("patterns")),
]
# The rules the registry's JWT pack has a counterpart for.
shared = {"jwt-hardcoded-secret", "jwt-decode-without-verify", "jwt-none-alg"}
for title, only in [("every rule", None), ("only " + ", ".join(sorted(shared)), shared)]:
    n_marks = sum(1 for m in marks if only is None or m[2] in only)
    print(f"{title}: {n_marks} marked findings in {sum(len(n) for _, _, n in os.walk(fixtures))} files")
    print(f"  {'tool':<30} {'found':>5} {'recall':>8} {'precis.':>8}   {'by file: recall':>15} {'precis.':>8}")
    for label, found in tools:
        n, (r, p), (rf, pf) = score(found, only)
        print(f"  {label:<30} {n:>5} {r:>8.1%} {p:>8.1%}   {rf:>15.1%} {pf:>8.1%}")
PY
