"""jwtkeep's source patterns (`jwtkeep scan --list-rules --json`) as semgrep
`pattern-regex` rules, each restricted to its languages' extensions as
jwtkeep does; rule ids are `<jwtkeep rule>-<n>`.

    python3 translate.py RULES_JSON OUT_YML
"""
import json
import sys

rules = json.load(open(sys.argv[1]))["rules"]
out = ["rules:"]
level = {"critical": "ERROR", "high": "ERROR", "medium": "WARNING", "low": "INFO"}
n = 0
for r in rules:
    for p in r["patterns"]:
        n += 1
        out.append(f"  - id: {r['id']}-{n}")
        out.append(f"    message: {json.dumps(r['title'])}")
        out.append(f"    severity: {level[r['severity']]}")
        out.append("    languages: [regex]")
        out.append(f"    pattern-regex: {json.dumps(p['regex'])}")
        if p["extensions"] and "text" not in p["languages"]:
            globs = ", ".join(json.dumps("*." + e) for e in p["extensions"])
            out.append(f"    paths: {{include: [{globs}]}}")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print(f"{n} semgrep rules from {len(rules)} jwtkeep rules", file=sys.stderr)
