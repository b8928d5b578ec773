#!/usr/bin/env python3
"""Memory of `jwtkeep serve` under bursts of concurrent wrong-password logins.

Usage: python3 bench/load/login_burst.py BINARY [N]   (N logins at once, 60 by default)
Starts BINARY serve on a free loopback port in a temporary data directory with one
user, logs in once (so the password workers' buffers exist), then sends two waves of N
concurrent wrong-password logins and prints the process's resident memory before,
at its peak (VmHWM) and after each wave, and 10 s later, from /proc/PID/status, with
the statuses of the answers (401 checked, 503 busy past the pool's queue).
"""
import subprocess, sys, os, time, json, socket, threading, tempfile
binary=os.path.abspath(sys.argv[1]); n=int(sys.argv[2]) if len(sys.argv) > 2 else 60
d=tempfile.mkdtemp()
env=dict(os.environ, JWTKEEP_LOGIN_ATTEMPTS="100000", JWTKEEP_LOGIN_ATTEMPTS_PER_ADDRESS="100000", JWTKEEP_LOGIN_ATTEMPTS_PER_ACCOUNT="100000")
env.pop("JWTKEEP_MASTER_KEY",None); env.pop("JWTKEEP_STORE",None)
subprocess.run([binary,"user","add","alice"],input=b"correct horse battery staple\n",cwd=d,env=env,check=True,capture_output=True)
p=subprocess.Popen([binary,"serve","--listen","127.0.0.1:0"],cwd=d,env=env,stderr=subprocess.PIPE,stdout=subprocess.DEVNULL)
addr=None
while addr is None:
    line=p.stderr.readline().decode()
    if not line:
        sys.exit("serve exited before listening (a setting it does not accept?)")
    if "listening on http://" in line: addr=line.split("http://")[1].split()[0]
threading.Thread(target=lambda: [None for _ in p.stderr],daemon=True).start()
host,port=addr.rsplit(":",1)
def login(out,i):
    body=json.dumps({"username":"alice","password":"wrong password, twelve+"})
    s=socket.create_connection((host,int(port)))
    s.sendall(f"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode())
    r=b""
    while True:
        c=s.recv(65536)
        if not c: break
        r+=c
    out[i]=r.split(b" ",2)[1].decode()
def mem():
    st=open(f"/proc/{p.pid}/status").read()
    f=lambda k: int([l for l in st.splitlines() if l.startswith(k)][0].split()[1])
    return f("VmRSS:"),f("VmHWM:")
o=[None]; login(o,0)
idle=mem()[0]
for wave in (1,2):
    out=[None]*n
    ts=[threading.Thread(target=login,args=(out,i)) for i in range(n)]
    [t.start() for t in ts]; [t.join() for t in ts]
    rss,hwm=mem()
    print(f"wave {wave}: idle {idle//1024} MiB, peak {hwm//1024} MiB, after {rss//1024} MiB; answers", {k:out.count(k) for k in set(out)})
time.sleep(10)
print("10 s later:", mem()[0]//1024, "MiB")
p.terminate(); p.wait()
