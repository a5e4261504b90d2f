#!/usr/bin/env python3
"""A light with `--cloud aws` consumes nothing from the queue (issue 17).

Run under fixture_server.py --run, which serves a scripted "AWS" endpoint on
127.0.0.1 and logs every request it gets. The light is pointed at it for
every service (SQS, DynamoDB, Lambda, S3) and runs for WATCH_S seconds with
no round to run; then its requests are counted by X-Amz-Target:

  - default (`poller` unset, cloud = aws): not one SQS request, and no
    poller_failed / drain_failed line (on AWS the event source mapping is
    the only consumer);
  - `poller = on`: the control that shows the count can see a poller: it
    must find ReceiveMessage calls, or the first check proves nothing;
  - `poller = off` with the embedded backend: no poller either;
  - `poller = sometimes`: exit 2 and one line naming file, line and key.

Usage: test_light_no_poller.py XROAD
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

WATCH_S = 1.5
FIX = os.environ["XROAD_FIXTURE_URL"]
XROAD = sys.argv[1]


def fixture(path, body=None):
    req = urllib.request.Request(FIX + path, data=body,
                                 method="POST" if body is not None else "GET")
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read() or b"null")


def write_conf(tmp, extra):
    with open(os.path.join(tmp, "routes.txt"), "w") as f:
        f.write("right 1\nstraight 2\nleft 1\n")
    conf = os.path.join(tmp, "cluster.conf")
    with open(conf, "w") as f:
        f.write("run = nopoll-1\nroutes = routes.txt\ncloud = aws\n"
                "state_dir = state\nrounds = 0\n" + extra +
                "node 0 light - ipc://%s/n0\nnode 1 car S ipc://%s/n1\n"
                % (tmp, tmp))
    return conf


def run_light(extra, cloud="aws"):
    """Runs the light for WATCH_S s, stops it; returns (rc, stderr, sqs targets)."""
    fixture("/__reset", b"{}")
    with tempfile.TemporaryDirectory(prefix="xr-nopoll.") as tmp:
        conf = write_conf(tmp, extra)
        env = dict(os.environ)
        env.update({
            "AWS_ACCESS_KEY_ID": "AKIDNOPOLLER", "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1",
            "XROAD_SQS_ENDPOINT": FIX, "XROAD_DYNAMODB_ENDPOINT": FIX,
            "XROAD_LAMBDA_ENDPOINT": FIX, "XROAD_S3_ENDPOINT": FIX,
            "XROAD_SQS_QUEUE_URL": FIX + "/000000000000/xroad-crossings",
            "XROAD_DYNAMODB_TABLE": "xroad-crossings",
            "XROAD_AWS_MAX_ATTEMPTS": "1",
        })
        p = subprocess.Popen([XROAD, "--config", conf, "--id", "0", "--cloud", cloud],
                             env=env, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(WATCH_S)
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    log = fixture("/__log")
    sqs = [r["headers"].get("x-amz-target", r["path"]) for r in log
           if r["headers"].get("x-amz-target", "").startswith("AmazonSQS")
           or "xroad-crossings" in r["path"]]
    return p.returncode, err, sqs, len(log)


def fail(msg, err=""):
    print("test_light_no_poller: FAIL: " + msg, file=sys.stderr)
    if err:
        print(err[-3000:], file=sys.stderr)
    sys.exit(1)


rc, err, sqs, total = run_light("")
print("default, cloud = aws: exit %d, %d requests, %d to SQS" % (rc, total, len(sqs)))
if rc != 0:
    fail("the light exited %d" % rc, err)
if sqs:
    fail("the light made SQS calls of its own: %s" % sorted(set(sqs)), err)
for bad in ("poller_failed", "drain_failed"):
    if bad in err:
        fail("the light logged " + bad, err)
if "event=poller state=off" not in err:
    fail("the light did not log that its poller is off", err)

rc, err, sqs, total = run_light("poller = on\n")
print("poller = on: exit %d, %d requests, %d to SQS (%s)" %
      (rc, total, len(sqs), ", ".join(sorted(set(sqs)))))
if rc != 0:
    fail("the light exited %d with poller = on" % rc, err)
if sum(1 for t in sqs if t == "AmazonSQS.ReceiveMessage") < 3:
    fail("poller = on: fewer than 3 ReceiveMessage calls seen; the count cannot "
         "tell a poller from none", err)

rc, err, sqs, total = run_light("poller = off\n", cloud="embedded")
print("poller = off, embedded: exit %d" % rc)
if rc != 0 or "event=poller state=off" not in err:
    fail("poller = off with the embedded cloud still polls, or failed", err)

rc, err, sqs, total = run_light("poller = sometimes\n")
line = err.strip().splitlines()[-1] if err.strip() else ""
print("poller = sometimes: exit %d: %s" % (rc, line))
if rc != 2 or "cluster.conf:6: poller: expected auto, on or off" not in line:
    fail("a bad poller value was not refused with file:line: key", err)
print("test_light_no_poller: ok")
