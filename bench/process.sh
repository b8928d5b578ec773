#!/usr/bin/env bash
# Whole-process times of `gen secret` and `check` against `openssl rand -base64 32`,
# measured side by side in one hyperfine run each. Needs hyperfine (apt-get install hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
bin=$PWD/target/release/jwtkeep
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" gen secret | tr -d '\n' > "$tmp/strong.txt"
printf '%s' 'myapp-secret-2024' > "$tmp/weak.txt"
# -N: no intermediate shell, so process start-up is measured as it is.
hyperfine --warmup 20 --runs 300 -N \
  "openssl rand -base64 32" \
  "$bin gen secret" \
  "$bin gen secret --alg HS512 --purpose access,refresh,email --format env"
# check reads stdin, so these go through a shell; hyperfine subtracts its start-up.
hyperfine --warmup 20 --runs 300 -i \
  "openssl rand -base64 32" \
  "$bin check < $tmp/strong.txt" \
  "$bin check < $tmp/weak.txt"
