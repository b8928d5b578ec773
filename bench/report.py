"""Prints criterion's results for the jwt bench as a Markdown table:
mean time per operation and throughput relative to jwtkeep's peers and floor.
Run after `cargo bench --bench jwt`, from bench/."""
import json
import pathlib

root = pathlib.Path("target/criterion")
order = ["jwtkeep", "jsonwebtoken", "jwt-simple", "raw HMAC", "raw primitive"]
print("| operation | jwtkeep | jsonwebtoken | jwt-simple | raw primitive | jwtkeep vs jsonwebtoken | jwtkeep vs jwt-simple | jwtkeep vs primitive |")
print("|---|---|---|---|---|---|---|---|")
for group in ["HS256 sign", "HS256 verify", "RS256 sign", "RS256 verify", "PS256 sign", "PS256 verify",
              "ES256 sign", "ES256 verify", "EdDSA sign", "EdDSA verify"]:
    means = {}
    for name in order:
        f = root / group / name / "new" / "estimates.json"
        if f.exists():
            key = "raw" if name.startswith("raw") else name
            means[key] = json.loads(f.read_text())["mean"]["point_estimate"]

    def fmt(ns):
        return "—" if ns is None else (f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns")

    def ratio(other):
        # Throughput of jwtkeep relative to `other`: other's time / jwtkeep's time.
        if other not in means or "jwtkeep" not in means:
            return "—"
        return f"{means[other] / means['jwtkeep']:.{3 if other == 'raw' else 2}f}×"

    print(f"| {group} | {fmt(means.get('jwtkeep'))} | {fmt(means.get('jsonwebtoken'))} | {fmt(means.get('jwt-simple'))} "
          f"| {fmt(means.get('raw'))} | {ratio('jsonwebtoken')} | {ratio('jwt-simple')} | {ratio('raw')} |")
