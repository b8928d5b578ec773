#!/usr/bin/env bash
# Interoperability: tokens jwtkeep signs with every algorithm verify in PyJWT
# (with cryptography) and in panva/jose on Node, against the JWKS jwtkeep
# wrote; tokens they sign verify in jwtkeep. Usage: interop/run.sh [JWTKEEP_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../target/debug/jwtkeep}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The peers, pinned, installed beside this script (not into the system).
python3 -m venv "$here/.venv" >/dev/null 2>&1 || true
"$here/.venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
(cd "$here" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1 || npm install --silent --no-audit --no-fund >/dev/null)

algs="HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA"
for alg in $algs; do
  dir="$work/$alg"
  mkdir -p "$dir"
  if [[ $alg == HS* ]]; then
    "$bin" gen secret --alg "$alg" --format jwk > "$dir/secret.jwk.json"
    key=(--key "$dir/secret.jwk.json")
  else
    "$bin" gen key --alg "$alg" --bits 2048 --out-dir "$dir" > /dev/null
    key=(--key "$dir/jwks.json")
  fi
  sign_key=("${key[@]}")
  [[ $alg == HS* ]] || sign_key=(--key "$dir/private.pem" --alg "$alg")
  "$bin" token sign "${sign_key[@]}" --sub interop --aud peers --iss jwtkeep --typ JWT > "$dir/jwtkeep.token"
  echo "${key[*]}" > "$dir/verify-args"
done

passed=0
failed=0
peer_report() { while read -r line; do echo "$line"; case $line in ok*) passed=$((passed + 1));; FAIL*) failed=$((failed + 1));; esac; done; }

peer_report < <("$here/.venv/bin/python" "$here/peers.py" "$work" || true)
peer_report < <(node "$here/peers.mjs" "$work" || true)

for alg in $algs; do
  dir="$work/$alg"
  read -r -a key < "$dir/verify-args"
  for peer in pyjwt jose; do
    if [[ -f $dir/$peer.token ]] && "$bin" token verify "$(cat "$dir/$peer.token")" "${key[@]}" --iss "$peer" --aud jwtkeep > /dev/null; then
      echo "ok   jwtkeep verifies $peer $alg"; passed=$((passed + 1))
    else
      echo "FAIL jwtkeep verifies $peer $alg"; failed=$((failed + 1))
    fi
  done
done
# Four checks per algorithm; a peer that dies before reporting must not pass.
expected=$((4 * $(wc -w <<< "$algs")))
if [ "$passed" -ne "$expected" ]; then
  failed=$((failed + expected - passed - failed))
fi
echo "interop: $passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -ne "$expected" ]; then exit 1; fi

# OAuth over HTTPS: Authlib finds the token endpoint through the service's
# metadata and obtains a machine token; PyJWT verifies it through the
# discovered jwks_uri. Both trust only the test's own CA.
port=$("$here/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
svc="$work/service"
mkdir -p "$svc"
bash "$here/../crates/jwtkeep/tests/tls/certs.sh" "$svc/tls"
(cd "$svc" && "$bin" client add billing --scope orders:read,orders:write --json > client.json)
secret=$("$here/.venv/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["secret"])' "$svc/client.json")
(cd "$svc" && exec "$bin" serve --listen "127.0.0.1:$port" --tls-cert tls/cert.pem --tls-key tls/key.pem 2> serve.log) &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  grep -q listening "$svc/serve.log" 2>/dev/null && break
  sleep 0.1
done
passed=0
failed=0
peer_report < <("$here/.venv/bin/python" "$here/oauth.py" "https://127.0.0.1:$port" billing "$secret" "$svc/tls/ca.pem" 2>&1 || true)
kill "$serve_pid" 2>/dev/null || true
echo "oauth: $passed passed, $failed failed"
# Eleven checks; a script that dies before reporting them all must not pass.
if [ "$failed" -ne 0 ] || [ "$passed" -ne 11 ]; then exit 1; fi

# SARIF: what `jwtkeep scan --format sarif` writes validates against the schema.
tree="$work/scan-tree"
mkdir -p "$tree/src"
printf '%s\n' "const t = jwt.sign(p, 'supersecretkey');" "jwt.verify(t, k, { algorithms: ['none'] });" \
  "const c = jwt.decode(t); // jwtkeep:ignore jwt-decode-without-verify reads the header only" > "$tree/src/app.js"
printf '%s\n' '-----BEGIN PRIVATE KEY-----' 'MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnFAAAAAAAA' > "$tree/src/key.pem"
"$bin" scan "$tree" --format sarif > "$work/scan.sarif" || [ $? -eq 1 ]
"$here/.venv/bin/python" "$here/sarif.py" "$work/scan.sarif"
