#!/usr/bin/env python3
"""How `jwtkeep serve` treats connections that send nothing, or half a request head.

Usage: python3 bench/load/idle_connections.py BINARY [N]   (N idle sockets, 200 by default)
Starts BINARY serve on a free loopback port in a temporary data directory, opens N
sockets that send nothing and 10 that send half a request head, checks that /healthz
still answers meanwhile, then waits header_read_timeout_secs (10) + 1 s and counts the
sockets the server has closed (read returns end-of-file, or an error).
"""
import os, socket, subprocess, sys, tempfile, time

binary = os.path.abspath(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
env = dict(os.environ)
env.pop("JWTKEEP_MASTER_KEY", None)
env.pop("JWTKEEP_STORE", None)
p = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0"], cwd=tempfile.mkdtemp(),
                     env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
addr = None
while addr is None:
    line = p.stderr.readline().decode()
    if not line:
        sys.exit("serve exited before listening")
    if "listening on http://" in line:
        addr = line.split("http://")[1].split()[0]
host, port = addr.rsplit(":", 1)
port = int(port)

def closed(s):
    s.settimeout(0.05)
    try:
        while True:
            if s.recv(65536) == b"":
                return True
    except socket.timeout:
        return False
    except OSError:
        return True

idle = [socket.create_connection((host, port)) for _ in range(n)]
half = []
for _ in range(10):
    s = socket.create_connection((host, port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    half.append(s)
h = socket.create_connection((host, port))
h.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
h.settimeout(5)
healthy = h.recv(64).startswith(b"HTTP/1.1 200")
start = time.time()
time.sleep(11)
print(f"/healthz with {n + 10} silent connections open: {'200' if healthy else 'no answer'}")
print(f"after {time.time() - start:.0f} s: {sum(map(closed, idle))}/{n} idle and "
      f"{sum(map(closed, half))}/10 half-sent heads closed by the server")
p.terminate()
p.wait()
