#!/usr/bin/env python3
"""A small API for sp-ingest's HTTP polling tests.

    http_fixture.py PORT_FILE LOG_FILE
Listens on 127.0.0.1 (a free port, written to PORT_FILE) and logs one line per request to
LOG_FILE: "METHOD PATH if-none-match=… if-modified-since=… -> STATUS".
  /items        {"data":{"items":[...]},"next":"/items?page=2"}; page 2 has "next":null. ETag per page.
  /cursor       {"items":[...],"cursor":"c2"}; ?cursor=c2 -> last page ("cursor":null)
  /array        a plain JSON array, with Last-Modified
  /notjson      200 with text; /fail 500
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

PORT_FILE, LOG_FILE = sys.argv[1], sys.argv[2]
LAST_MODIFIED = "Tue, 24 Nov 2026 10:00:00 GMT"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with open(LOG_FILE, "a") as f:
            f.write("%s %s if-none-match=%s if-modified-since=%s -> %d\n" % (
                self.command, self.path, self.headers.get("If-None-Match", "-"),
                self.headers.get("If-Modified-Since", "-"), status))

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        if url.path == "/items":
            page = int(q.get("page", ["1"])[0])
            etag = '"page%d-v1"' % page
            if self.headers.get("If-None-Match") == etag:
                return self.reply(304, headers=[("ETag", etag)])
            items = [{"id": page * 10 + i, "page": page} for i in range(3)]
            body = {"data": {"items": items}, "next": "/items?page=2" if page == 1 else None}
            return self.reply(200, json.dumps(body).encode(), [("ETag", etag), ("Content-Type", "application/json")])
        if url.path == "/cursor":
            cur = q.get("cursor", [None])[0]
            if cur is None:
                body = {"items": [{"n": 1}, {"n": 2}], "cursor": "c2"}
            else:
                body = {"items": [{"n": 3, "token": self.headers.get("X-Token", "")}], "cursor": None}
            return self.reply(200, json.dumps(body).encode())
        if url.path == "/array":
            if self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                return self.reply(304)
            return self.reply(200, b'[{"a":1},{"a":2},3]', [("Last-Modified", LAST_MODIFIED)])
        if url.path == "/notjson":
            return self.reply(200, b"<html>hello</html>")
        return self.reply(500 if url.path == "/fail" else 404, b"{}")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
