"""Stand-in for grafana-server in harden's test replica: creates its database in GF_PATHS_DATA (fails like Grafana when
it cannot), then serves GET /api/health on port 3000 (GF_SERVER_HTTP_PORT). Not Grafana."""
import http.server, json, os, sqlite3, sys

data = os.environ.get('GF_PATHS_DATA', '/var/lib/grafana')
try:
    db = sqlite3.connect(os.path.join(data, 'grafana.db'))
    db.execute('create table if not exists user (login text, password_set integer)')
    db.execute('delete from user')
    db.execute('insert into user values (?, ?)', ('admin', 1 if os.environ.get('GF_SECURITY_ADMIN_PASSWORD') else 0))
    db.commit()
except sqlite3.Error as e:
    print(f'logger=sqlstore level=error msg="Failed to open database" path={data}/grafana.db error="{e}"', file=sys.stderr, flush=True)
    sys.exit(1)
port = int(os.environ.get('GF_SERVER_HTTP_PORT', '3000'))


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == '/api/health'
        body = json.dumps({'database': 'ok', 'version': '10.2.2-replica'}).encode() if ok else b'{"message":"Not found"}'
        self.send_response(200 if ok else 404)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


print(f'logger=http.server level=info msg="HTTP Server Listen" address=[::]:{port} protocol=http', flush=True)
http.server.ThreadingHTTPServer(('0.0.0.0', port), Health).serve_forever()
