#!/usr/bin/env bash
# A three-master Redis Cluster on spare loopback ports, for the conformance
# suite: started with redis-server --cluster-enabled yes and joined with
# redis-cli --cluster create; no persistence. Prints its redis-cluster:// URL
# once every node says cluster_state:ok, then stays to stop the nodes (and
# remove DIR) when the process PARENT is gone.
#   cluster.sh PARENT DIR
set -euo pipefail
parent=$1
dir=$2
mkdir -p "$dir"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
# Ports whose cluster bus (port + 10000) is free too.
ports=()
while [ "${#ports[@]}" -lt 3 ]; do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  [ "$port" -lt 55000 ] || continue
  if python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]) + 10000))' "$port" 2>/dev/null; then
    ports+=("$port")
  fi
done
for port in "${ports[@]}"; do
  redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "$dir/nodes-$port.conf" --dir "$dir" --save "" --appendonly no \
    --cluster-node-timeout 2000 >"$dir/redis-$port.log" 2>&1 &
  pids+=($!)
done
for port in "${ports[@]}"; do
  for _ in $(seq 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.05
  done
done
nodes=()
for port in "${ports[@]}"; do nodes+=("127.0.0.1:$port"); done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1
for port in "${ports[@]}"; do
  for _ in $(seq 200); do
    redis-cli -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break
    sleep 0.05
  done
done
IFS=,
echo "redis-cluster://${nodes[*]}"
unset IFS
while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
