"""Stand-in for mongod in harden's test replica: keeps a lock file in the dbpath and a socket in /tmp, as mongod
does, and answers the replica's mongosh on port 27017. Not MongoDB."""
import os, socket, sys, threading

port = 27017
args = sys.argv[1:]
for i, a in enumerate(args):
    if a == '--port' and i + 1 < len(args):
        port = int(args[i + 1])
    elif a.startswith('--port='):
        port = int(a.split('=', 1)[1])
dbpath = '/data/db'
lock = os.path.join(dbpath, 'mongod.lock')
with open(lock, 'w') as f:  # fails with EROFS / EACCES like mongod when /data/db is not writable
    f.write(str(os.getpid()))
sock_path = f'/tmp/mongodb-{port}.sock'
try:
    os.unlink(sock_path)
except FileNotFoundError:
    pass
unix = socket.socket(socket.AF_UNIX)
unix.bind(sock_path)  # mongod binds this socket too; a read-only /tmp stops it
unix.listen(5)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('0.0.0.0', port))
srv.listen(16)
print(f'{{"msg":"Waiting for connections","attr":{{"port":{port}}}}}', flush=True)

def serve(c):
    with c:
        data = c.recv(1024)
        c.sendall(b'{ ok: 1 }\n' if data.strip() == b'ping' else b'{ ok: 0 }\n')

while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
