#!/usr/bin/env python3
"""A small HTTP receiver for sp-sink tests.

  http_receiver.py DIR     listens on 127.0.0.1 (a free port, written to DIR/port) and, for each
                           request, appends {"n","method","path","status","headers","body"} to
                           DIR/requests.ndjson. The status of the next requests comes from the
                           lines of DIR/script ("500", "429 2" = with Retry-After: 2, "400"),
                           consumed one per request; without one it answers 200.
  RECEIVER_AUTH=VALUE      requests whose Authorization header is not VALUE get 401, with a body
                           that repeats the header they sent (as careless servers do)
  RECEIVER_CERT=PEM RECEIVER_KEY=PEM   serve https with this certificate
  GET answers [{"polled":true}] (401 under RECEIVER_AUTH without the right header).
"""
import http.server, json, os, ssl, sys, threading

root = sys.argv[1]
lock = threading.Lock()
count = [0]


def next_status():
    path = os.path.join(root, "script")
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return 200, None
    if not lines:
        return 200, None
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines[1:]))
    parts = lines[0].split()
    return int(parts[0]), (parts[1] if len(parts) > 1 else None)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            count[0] += 1
            status, retry_after = next_status()
            sent = self.headers.get("Authorization", "")
            if "RECEIVER_AUTH" in os.environ and sent != os.environ["RECEIVER_AUTH"]:
                status = 401
            entry = {"n": count[0], "method": "POST", "path": self.path, "status": status,
                     "headers": {k.lower(): v for k, v in self.headers.items()},
                     "body": body.decode("utf-8", "replace")}
            with open(os.path.join(root, "requests.ndjson"), "a") as f:
                f.write(json.dumps(entry) + "\n")
        reply = b'{"ok":true}\n' if status < 300 else b'{"error":"rejected by test receiver"}\n'
        if status == 401:
            reply = json.dumps({"error": "not authorized", "got": "Authorization: " + sent}).encode() + b"\n"
        self.send_response(status)
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def do_GET(self):
        # For pollers (sp-ingest http(s)://): one record, the same authorization rule.
        sent = self.headers.get("Authorization", "")
        ok = "RECEIVER_AUTH" not in os.environ or sent == os.environ["RECEIVER_AUTH"]
        reply = b'[{"polled":true}]\n' if ok else b'{"error":"not authorized"}\n'
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if os.environ.get("RECEIVER_CERT"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["RECEIVER_CERT"], os.environ["RECEIVER_KEY"])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(os.path.join(root, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(root, "port.tmp"), os.path.join(root, "port"))
server.serve_forever()
