#!/usr/bin/env bash
# The OpenAPI document is the contract: schemathesis runs every check it has
# (`--checks all`) against a real `jwtkeep serve` on a fresh SQLite store —
# unauthenticated, as an administrator, and as a registered OAuth client —
# and any finding fails. Usage: contract/run.sh [JWTKEEP_BINARY]
#
# The administrator's passes keep the operations that end its own token
# (logout, revoke-all, a key rotation that may retire the key, revoking,
# disabling, rescoping, resetting the password of or deleting a user) apart: each runs alone with a fresh token, so that the
# others are exercised with a live one. SEED=N reruns a given case; the
# default seed is fixed so that a failure in CI reproduces.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../target/debug/jwtkeep}
examples=${EXAMPLES:-60}
seed=${SEED:-20261205}
work=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The checker, pinned, installed beside this script (not into the system).
python3 -m venv "$here/.venv" >/dev/null 2>&1 || true
"$here/.venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
st="$here/.venv/bin/schemathesis"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
password="contract-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
unset JWTKEEP_STORE JWTKEEP_MASTER_KEY
# Thousands of wrong passwords are part of the run: the limits are raised so
# that each answer is the one the document gives for the input, not a 429.
export JWTKEEP_LOGIN_ATTEMPTS=100000 JWTKEEP_LOGIN_ATTEMPTS_PER_ADDRESS=100000 \
  JWTKEEP_LOGIN_ATTEMPTS_PER_ACCOUNT=100000
"$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 100); do
  curl -sf "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "$base/readyz" >/dev/null || { cat "$work/serve.log"; echo "contract: serve did not start" >&2; exit 1; }
printf '%s\n' "$password" | "$bin" user add root --admin --data-dir "$work/data" >/dev/null
client=$("$bin" client add contract --data-dir "$work/data" --json \
  | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["name"] + ":" + d["secret"])')

token() {
  local body
  body=$(curl -sf -X POST "$base/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\": \"root\", \"password\": \"$password\"}") \
    || { echo "contract: the administrator cannot log in" >&2; exit 1; }
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' <<<"$body"
}

findings=0
pass() { # label [schemathesis options...]
  local label=$1; shift
  if "$st" --config-file "$here/schemathesis.toml" run "$base/openapi.json" --checks all --max-examples "$examples" --seed "$seed" \
    --generation-database none --no-color --request-timeout 10 "$@" >"$work/out" 2>&1; then
    printf 'contract: %-34s %s\n' "$label" "$(grep -m1 -E 'generated' "$work/out" | sed 's/^ *//')"
  else
    cat "$work/out"
    printf 'contract: %-34s FAILED\n' "$label"
    findings=$((findings + 1))
  fi
}

own_token='auth/logout|admin/keys/rotate|admin/users/\{id\}(/(revoke|disable|password|scopes))?|admin/revoke-all'
pass "unauthenticated"
pass "OAuth client" -H "Authorization: Basic $(printf '%s' "$client" | base64 -w0)" \
  --include-path-regex '^/(oauth2/|v1/revocations)'
bearer=$(token)
pass "administrator" -H "Authorization: Bearer $bearer" \
  --include-path-regex '^/v1/' --exclude-path-regex "^/v1/($own_token)\$"
# Revoke-all after the rest: it ends every token issued up to the next second.
# Then a password reset (it may reset the administrator's own password), and
# last a deletion (it may delete the administrator, once another exists).
for op in 'auth/logout' 'admin/keys/rotate' 'admin/users/\{id\}/revoke' \
  'admin/users/\{id\}/disable' 'admin/users/\{id\}/scopes' 'admin/revoke-all' \
  'admin/users/\{id\}/password' 'admin/users/\{id\}'; do
  # A revocation cuts off tokens issued up to the next whole second; the
  # passes may have disabled the administrator (others exist by then).
  sleep 1
  "$bin" user enable root --data-dir "$work/data" >/dev/null
  # The password pass may have given root another password.
  printf '%s\n' "$password" | "$bin" user passwd root --data-dir "$work/data" >/dev/null
  bearer=$(token)
  pass "administrator, /v1/${op//\\/}" -H "Authorization: Bearer $bearer" \
    --include-path-regex "^/v1/$op\$"
done
if [ "$findings" -ne 0 ]; then
  echo "contract: $findings pass(es) found responses the OpenAPI document does not allow" >&2
  exit 1
fi
echo "contract: no findings"
