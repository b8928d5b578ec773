# Sourced by the wrk benchmarks (bench/gate/run.sh, bench/load/run.sh), after
# they set `here` to their own folder: the release binary, the round settings
# (DUR, ROUNDS), a work folder and the servers started (`pids`), both cleaned
# up on exit, wrk and the Node reference's packages checked, and the helpers
# both use.
root=$(cd "$here/../.." && pwd)
bin="$root/target/release/jwtkeep"
dur=${DUR:-5s}
rounds=${ROUNDS:-3}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
[ -x "$bin" ] || (cd "$root" && cargo build --release -p jwtkeep)
[ -d "$here/reference/node_modules" ] || npm ci --prefix "$here/reference" --no-audit --no-fund >/dev/null

# Waits until the URL answers 2xx (10 s at most).
wait_for() { for _ in $(seq 1 200); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "no answer from $1" >&2; exit 1; }
# A loopback port nothing listens on now.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
