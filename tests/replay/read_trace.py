#!/usr/bin/python3
"""Reads xroad traces with Google's protobuf library, not with our C code:
proof that a trace is a standard stream of varint-length-delimited
TraceRecord messages that any protobuf implementation can read.

    read_trace.py --proto proto/xroad.proto --out DIR --xroadctl BIN \
                  [--protoc PROTOC] [--expect-deadlock] FILE.trace...

Generates xroad_pb2.py with `protoc --python_out` into DIR, decodes every
record of every FILE (START configs as NodeConfig), checks the records are
well formed, and compares kind, time, node, message routing and the START
configs' scalars with what `xroadctl trace --json` says about the same file:
two independent decoders must agree. Run by /usr/bin/python3 (Debian's python3-protobuf), since a
python3 found on PATH may be one without protobuf."""

import argparse
import json
import os
import subprocess
import sys


def fail(msg):
    print("read_trace.py: " + msg, file=sys.stderr)
    sys.exit(1)


def generate(protoc, proto, out):
    os.makedirs(out, exist_ok=True)
    proto_dir = os.path.dirname(os.path.abspath(proto))
    cmd = [protoc, "--python_out=" + out, "-I" + proto_dir,
           os.path.abspath(proto)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        fail("protoc failed: " + res.stderr.strip())
    sys.path.insert(0, out)
    import xroad_pb2  # noqa: E402  (generated just now)
    return xroad_pb2


def read_varint(data, pos):
    """The length prefix, as protobuf's own delimited readers decode it."""
    try:
        from google.protobuf.internal.decoder import _DecodeVarint32
        return _DecodeVarint32(data, pos)
    except ImportError:  # an internal API: fall back to the spec
        shift = result = 0
        while True:
            if pos >= len(data):
                raise IndexError("truncated varint")
            b = data[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result, pos
            shift += 7


def records(pb, path):
    data = open(path, "rb").read()
    pos = 0
    index = 0
    while pos < len(data):
        index += 1
        try:
            size, start = read_varint(data, pos)
        except Exception as e:  # noqa: BLE001
            fail("%s: record %d at offset %d: bad length: %s"
                 % (path, index, pos, e))
        if start + size > len(data):
            fail("%s: record %d at offset %d: truncated" % (path, index, pos))
        rec = pb.TraceRecord()
        rec.ParseFromString(data[start:start + size])
        yield index, pos, rec
        pos = start + size


# NodeConfig scalars that `xroadctl trace --json` prints under the same name.
CONFIG_SCALARS = ("self", "light", "seed", "cross_ms", "resend_ms",
                  "stall_ms", "rounds", "heartbeat_ms", "fail_ms", "run")


def check_file(pb, path, xroadctl, expect_deadlock):
    K = pb.TraceRecord
    kinds = {K.START: "start", K.RECEIVE: "recv", K.TIMER: "timer",
             K.COMMAND: "command", K.SEND: "send", K.EFFECT: "effect"}
    ours = []
    counts = {}
    bodies = {}
    deadlock_effects = 0
    for index, offset, rec in records(pb, path):
        where = "%s: record %d at offset %d" % (path, index, offset)
        if rec.kind not in kinds:
            fail(where + ": kind %d" % rec.kind)
        kind = kinds[rec.kind]
        counts[kind] = counts.get(kind, 0) + 1
        item = {"kind": kind, "now_ms": rec.now_ms, "node": rec.node}
        if rec.kind == K.START:
            cfg = pb.NodeConfig()
            cfg.ParseFromString(rec.config)
            if cfg.self != rec.node or len(cfg.cars) != len(cfg.approaches):
                fail(where + ": inconsistent NodeConfig")
            if any(a == pb.APPROACH_UNSPECIFIED for a in cfg.approaches):
                fail(where + ": UNSPECIFIED approach")
            item["config"] = {k: getattr(cfg, k) for k in CONFIG_SCALARS}
        elif rec.kind in (K.RECEIVE, K.SEND):
            if not rec.HasField("envelope"):
                fail(where + ": no envelope")
            body = rec.envelope.WhichOneof("body")
            if body is None:
                fail(where + ": envelope without a body")
            bodies[body] = bodies.get(body, 0) + 1
            item["from"] = getattr(rec.envelope, "from")
            item["to"] = rec.envelope.to
            item["body"] = body
        elif rec.kind == K.EFFECT:
            if not rec.effect.startswith("fx %d " % rec.node):
                fail(where + ": effect line %r" % rec.effect)
            if rec.effect.split(" ")[2] == "Deadlock":
                deadlock_effects += 1
        ours.append(item)
    if not ours:
        fail(path + ": no records")

    # The C decoder's view of the same bytes.
    res = subprocess.run([xroadctl, "trace", "--json", path],
                         capture_output=True, text=True)
    if res.returncode != 0:
        fail("xroadctl trace --json %s: %s" % (path, res.stderr.strip()))
    theirs = json.loads(res.stdout)["files"][0]["records"]
    if len(theirs) != len(ours):
        fail("%s: protobuf reads %d records, xroadctl %d"
             % (path, len(ours), len(theirs)))
    # Envelope body field name -> the core's message type name.
    type_of = {"wave": "Wave", "crossed": "Crossed", "notice":
               "CrossingNotice", "blocked": "Blocked", "detect": "Detect",
               "probe": "Probe", "deadlock": "DeadlockFound",
               "proceed": "Proceed", "rejoin": "Rejoin",
               "rejoin_state": "RejoinState", "marker": "Marker",
               "heartbeat": "Heartbeat", "election": "Election",
               "answer": "Answer", "coordinator": "Coordinator",
               "recover": "Recover", "recover_state": "RecoverState"}
    for a, b in zip(ours, theirs):
        same = (a["kind"] == b["kind"] and a["now_ms"] == b["now_ms"]
                and a["node"] == b["node"])
        if same and "config" in a:
            same = all(a["config"][k] == b["config"][k]
                       for k in CONFIG_SCALARS)
        if same and "body" in a:
            m = b["msg"]
            same = (a["from"] == m["from"] and a["to"] == m["to"]
                    and type_of.get(a["body"]) == m["type"])
        if not same:
            fail("%s: record %d: protobuf says %s, xroadctl says %s"
                 % (path, b["index"], a, b))
    if expect_deadlock and (bodies.get("probe", 0) == 0
                            or bodies.get("deadlock", 0) == 0
                            or deadlock_effects == 0):
        fail("%s: expected probes, a DeadlockFound and a Deadlock effect"
             % path)
    print("read_trace.py: %s: %d records %s, bodies %s"
          % (path, len(ours), json.dumps(counts, sort_keys=True),
             json.dumps(bodies, sort_keys=True)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proto", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--xroadctl", required=True)
    ap.add_argument("--protoc", default="protoc")
    ap.add_argument("--expect-deadlock", action="store_true")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    pb = generate(args.protoc, args.proto, args.out)
    for path in args.files:
        check_file(pb, path, args.xroadctl, args.expect_deadlock)


if __name__ == "__main__":
    main()
