import socket, struct, sys, time, os
# xsclient.py SOCKET PID ROUNDS: a create's worth of requests per round (as DomainStoreRecords does:
# a few reads, a transaction with ~95 WRITE/SET_PERMS pipelined 16 per send, commit, introduce, directory),
# then the daemon's CPU (utime+stime from /proc/PID/stat) per round.
path, pid, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_UNIX); s.connect(path)
rid = [0]
def frame(t, tx, payload):
    rid[0] += 1
    return struct.pack('<IIII', t, rid[0], tx, len(payload)) + payload
def recv1():
    h = b''
    while len(h) < 16: h += s.recv(16 - len(h))
    t, r, tx, n = struct.unpack('<IIII', h)
    p = b''
    while len(p) < n: p += s.recv(n - len(p))
    return t, p
def call(t, tx, payload):
    s.sendall(frame(t, tx, payload)); return recv1()
READ, DIR, TSTART, TEND, INTRO, WRITE, SETPERMS, RM, ISINTRO = 2, 1, 6, 7, 8, 11, 14, 13, 17
def cpu():
    f = open(f'/proc/{pid}/stat').read().split(')')[1].split()
    return int(f[11]) + int(f[12])
def one(d):
    dom = f'/local/domain/{d}'.encode()
    call(READ, 0, b'/local/domain/0/name\0')
    call(READ, 0, dom + b'/vm\0')
    _, p = call(TSTART, 0, b'\0'); tx = int(p.rstrip(b'\0'))
    reqs = [frame(RM, tx, dom + b'\0')]
    for i in range(47):
        path = dom + b'/n%d/leaf' % i
        reqs.append(frame(WRITE, tx, path + b'\0' + b'value-%d' % i))
        reqs.append(frame(SETPERMS, tx, path + b'\0' + b'n0\0r%d\0' % d))
    for k in range(0, len(reqs), 16):
        g = reqs[k:k+16]; s.sendall(b''.join(g))
        for _ in g: recv1()
    call(TEND, tx, b'T\0')
    call(ISINTRO, 0, b'%d\0' % d)
    call(DIR, 0, b'/local/domain\0')
    call(RM, 0, dom + b'\0')
for i in range(20): one(1)
c0 = cpu(); t0 = time.time()
for i in range(rounds): one(1)
c1 = cpu(); t1 = time.time()
hz = os.sysconf('SC_CLK_TCK')
print(f'rounds={rounds} daemon_cpu_per_round_ms={(c1-c0)*1000/hz/rounds:.3f} wall_per_round_ms={(t1-t0)*1000/rounds:.3f}')
