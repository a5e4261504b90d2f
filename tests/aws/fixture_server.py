#!/usr/bin/env python3
"""Loopback HTTP fixture for the AWS client unit tests.

Serves, on 127.0.0.1 and a free port:
  - an EC2 instance metadata service, version 2 only (token PUT, role name,
    role credentials whose expiry the test sets): /latest/...
  - a scripted "AWS" endpoint: every other request gets the next queued
    answer (POST /__script with a JSON list of {status, headers, body}),
    or 200 {} when the queue is empty; requests are logged (GET /__log).
Control: POST /__imds {"expires_in": s, "fail": bool, "code": str},
GET /__imds_stats.

Usage: fixture_server.py --run PROGRAM [ARGS...]
Starts the server, runs PROGRAM with XROAD_FIXTURE_URL set, stops the
server whatever happens and exits with PROGRAM's status.
"""
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {
    "script": [],
    "log": [],
    "imds": {"expires_in": 3600, "fail": False, "code": "Success"},
    "stats": {"token_puts": 0, "role_gets": 0, "cred_gets": 0, "rejected": 0},
    "tokens": set(),
    "counter": 0,
}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def reply(self, status, body=b"", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def imds(self, method):
        st = STATE["stats"]
        cfg = STATE["imds"]
        if cfg["fail"]:
            return self.reply(500, "imds down")
        if method == "PUT" and self.path == "/latest/api/token":
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.reply(400, "missing ttl")
            with LOCK:
                st["token_puts"] += 1
                STATE["counter"] += 1
                tok = "tok-%d" % STATE["counter"]
                STATE["tokens"].add(tok)
            return self.reply(200, tok)
        if method != "GET":
            return self.reply(405, "")
        if self.headers.get("X-aws-ec2-metadata-token") not in STATE["tokens"]:
            st["rejected"] += 1
            return self.reply(401, "IMDSv2 token required")
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            st["role_gets"] += 1
            return self.reply(200, "xroad-role")
        if self.path == base + "xroad-role":
            with LOCK:
                st["cred_gets"] += 1
                n = st["cred_gets"]
            exp = datetime.fromtimestamp(time.time() + cfg["expires_in"],
                                         tz=timezone.utc)
            doc = {
                "Code": cfg["code"],
                "LastUpdated": "2024-01-01T00:00:00Z",
                "Type": "AWS-HMAC",
                "AccessKeyId": "ASIAFIXTURE%d" % n,
                "SecretAccessKey": "fixture-secret-%d" % n,
                "Token": "fixture-token-%d" % n,
                "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            return self.reply(200, json.dumps(doc))
        return self.reply(404, "")

    def handle_any(self, method):
        if self.path.startswith("/latest/"):
            return self.imds(method)
        body = self.body()
        if self.path == "/__script" and method == "POST":
            with LOCK:
                STATE["script"].extend(json.loads(body))
            return self.reply(200, "{}")
        if self.path == "/__imds" and method == "POST":
            with LOCK:
                STATE["imds"].update(json.loads(body))
            return self.reply(200, "{}")
        if self.path == "/__imds_stats":
            return self.reply(200, json.dumps(STATE["stats"]))
        if self.path == "/__log":
            with LOCK:
                log, STATE["log"] = STATE["log"], []
            return self.reply(200, json.dumps(log))
        if self.path == "/__reset" and method == "POST":
            with LOCK:
                STATE["script"] = []
                STATE["log"] = []
            return self.reply(200, "{}")
        with LOCK:
            STATE["log"].append({
                "method": method,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            })
            ans = STATE["script"].pop(0) if STATE["script"] else None
        if ans is None:
            return self.reply(200, "{}", {"Content-Type": "application/json"})
        if ans.get("delay_ms"):
            time.sleep(ans["delay_ms"] / 1000.0)
        return self.reply(ans.get("status", 200), ans.get("body", ""),
                          ans.get("headers"))

    def do_GET(self):
        self.handle_any("GET")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    if len(sys.argv) < 3 or sys.argv[1] != "--run":
        print(__doc__, file=sys.stderr)
        return 2
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    env = dict(os.environ)
    env["XROAD_FIXTURE_URL"] = "http://127.0.0.1:%d" % srv.server_address[1]
    try:
        rc = subprocess.call(sys.argv[2:], env=env, timeout=110)
    except subprocess.TimeoutExpired:
        print("fixture_server: the test ran over 110 s", file=sys.stderr)
        rc = 1
    finally:
        srv.shutdown()
        srv.server_close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
