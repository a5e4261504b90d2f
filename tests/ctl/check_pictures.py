#!/usr/bin/env python3
"""Checks the pictures of issue 13 as a program can: they parse, they hold
what they claim, and their numbers are consistent. What they look like is
looked at in review (docs/XROADCTL.md, "Pictures").

  check_pictures.py trace-svg FILE --nodes N [--deadlock yes|no] [--cut]
      [--classes wave,probe,...] [--shade-within MS]
  check_pictures.py shiviz FILE [--min-matched N] [--tamper]
  check_pictures.py compare-svg FILE

--tamper breaks one receive's vector clock before checking and expects the
check to fail: the checker itself must be able to say no.
"""
import argparse
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
SHIVIZ_REGEX = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"
MAX_SVG_BYTES = 2 * 1024 * 1024


def parse_svg(path):
    size = os.path.getsize(path)
    if size > MAX_SVG_BYTES:
        raise SystemExit("%s: %d bytes, more than %d" % (path, size, MAX_SVG_BYTES))
    root = ET.parse(path).getroot()  # raises on anything that is not XML
    if root.tag != NS + "svg":
        raise SystemExit("%s: the root is %s, not svg" % (path, root.tag))
    for el in root.iter():
        for attr in ("href", "{http://www.w3.org/1999/xlink}href"):
            ref = el.get(attr, "")
            if ref and not ref.startswith("#"):
                raise SystemExit("%s: refers outside the file: %s" % (path, ref))
    texts = ["".join(t.itertext()) for t in root.iter(NS + "text")]
    return root, texts


def title_of(el):
    t = el.find(NS + "title")
    return t.text or "" if t is not None else ""


def check_trace_svg(a):
    root, texts = parse_svg(a.file)
    errs = []
    nodes = [t for t in texts if re.match(r"^node \d+ (light|car)", t)]
    if len(nodes) != a.nodes:
        errs.append("%d node lines (%s), want %d" % (len(nodes), nodes, a.nodes))
    msgs = [l for l in root.iter(NS + "line") if "m" in (l.get("class") or "").split()]
    if not msgs:
        errs.append("no message arrows")
    classes = set(c for l in msgs for c in l.get("class").split())
    for c in (a.classes.split(",") if a.classes else []):
        if c not in classes:
            errs.append("no %s arrow (classes: %s)" % (c, sorted(classes)))
    backwards = [title_of(l) for l in msgs
                 if "stub" not in l.get("class") and float(l.get("x2")) < float(l.get("x1")) - 0.01]
    if backwards:
        errs.append("%d arrows received before they were sent: %s" % (len(backwards), backwards[:3]))
    no_title = [l.attrib for l in msgs if not title_of(l)]
    if no_title:
        errs.append("%d arrows without their message as title" % len(no_title))
    shades = [r for r in root.iter(NS + "rect") if title_of(r).startswith("deadlocked")]
    if a.deadlock == "yes" and not shades:
        errs.append("no deadlocked interval shaded")
    if a.deadlock == "no" and shades:
        errs.append("%d deadlocked intervals shaded in a run without deadlock" % len(shades))
    for label in ("legend", "wave (collect, intent set, round end)", "override (wave, Proceed)",
                  "detection (Detect, Probe, DeadlockFound)", "deadlock declared",
                  "time (ms after the first record)"):
        if label not in texts:
            errs.append("no text %r" % label)
    if a.shade_within is not None:
        # Each deadlock declared lies in a shaded interval naming the cars
        # of its cycle, and no interval lasts longer than the bound.
        spans = []
        for r in shades:
            m = re.match(r"deadlocked from (\d+) to (\d+) ms: cars ([\d ]+) wait", title_of(r))
            if not m:
                errs.append("shade title %r" % title_of(r))
                continue
            x, w = float(r.get("x")), float(r.get("width"))
            spans.append((x, x + w, sorted(int(c) for c in m.group(3).split())))
            if int(m.group(2)) - int(m.group(1)) > a.shade_within:
                errs.append("%s: longer than %d ms" % (m.group(0), a.shade_within))
        for d in root.iter(NS + "path"):
            t = title_of(d)
            m = re.search(r"Deadlock r\d+ .*cycle=\[([\d,]+)\]", t)
            if not m:
                continue
            x = float(re.match(r"M([\d.]+),", d.get("d")).group(1))
            cyc = sorted(int(c) for c in m.group(1).split(","))
            if not any(x0 - 1 <= x <= x1 + 1 and set(cyc) <= set(cars) for x0, x1, cars in spans):
                errs.append("deadlock declared at x=%.1f (%s) outside every shaded interval %s" % (x, t, spans))
    cut = [t for t in texts if t.startswith("cut: only the first")]
    if a.cut and not cut:
        errs.append("not cut, or the cut not said in the picture")
    if a.cut:
        m = re.match(r"cut: only the first (\d+) of the (\d+) messages", cut[0]) if cut else None
        if m and len(msgs) > int(m.group(1)):
            errs.append("%d arrows drawn, more than the %s the picture says" % (len(msgs), m.group(1)))
    if not a.cut and cut:
        errs.append("cut unexpectedly: %s" % cut[0])
    return errs, "%d nodes, %d arrows (%s), %d deadlocked intervals" % (
        len(nodes), len(msgs), ",".join(sorted(classes - {"m", "stub"})), len(shades))


def check_shiviz_lines(lines, min_matched):
    errs = []
    if not lines or lines[0] != SHIVIZ_REGEX:
        return ["the first line is not the parser regex %s" % SHIVIZ_REGEX], ""
    if len(lines) < 2 or lines[1] != "":
        errs.append("the second line (the executions delimiter) is not empty")
    body = lines[2:]
    if not body or len(body) % 2:
        return errs + ["%d lines after the header: want event/clock pairs" % len(body)], ""
    last = {}
    sends = {}
    recvs = []
    for i in range(0, len(body), 2):
        ev, cl = body[i], body[i + 1]
        where = "line %d" % (i + 4)
        m = re.match(r"^(\S+) (\{.*\})$", cl)
        if not m or not ev.startswith("@"):
            errs.append("%s: not an event line and a clock line: %r / %r" % (where, ev, cl))
            continue
        host = m.group(1)
        try:
            clock = json.loads(m.group(2))
        except ValueError as e:
            errs.append("%s: the clock is not JSON: %s" % (where, e))
            continue
        if not all(isinstance(v, int) and v > 0 for v in clock.values()):
            errs.append("%s: clock values must be positive integers: %s" % (where, clock))
        prev = last.get(host, {})
        if clock.get(host) != prev.get(host, 0) + 1:
            errs.append("%s: %s's own entry %s does not follow %s" % (where, host, clock.get(host), prev.get(host, 0)))
        for k, v in prev.items():
            if clock.get(k, 0) < v:
                errs.append("%s: %s's clock goes back for %s (%d -> %d)" % (where, host, k, v, clock.get(k, 0)))
        last[host] = clock
        mm = re.match(r"^@\d+ (send|recv) (\d+)->(\d+) (.*)$", ev)
        if mm:
            key = "%s->%s %s" % (mm.group(2), mm.group(3), mm.group(4))
            if mm.group(1) == "send":
                if host != "n" + mm.group(2):
                    errs.append("%s: %s sends as node %s" % (where, host, mm.group(2)))
                sends.setdefault(key, []).append(clock)
            else:
                recvs.append((where, host, "n" + mm.group(2), key, clock))
    matched = unmatched = 0
    for where, host, sender, key, clock in recvs:
        cands = sends.get(key, [])
        if not cands:
            unmatched += 1
            continue
        # Its send happened before it: some send of this very message is
        # dominated by the receive's clock.
        if any(all(clock.get(k, 0) >= v for k, v in c.items()) for c in cands):
            matched += 1
        else:
            errs.append("%s: the receive at %s of %s dominates none of its %d sends (clock %s)"
                        % (where, host, key, len(cands), clock))
    if matched < min_matched:
        errs.append("only %d receives dominate their send, want at least %d" % (matched, min_matched))
    return errs, "%d events, %d receives dominate their send, %d without a send in the log" % (
        len(body) // 2, matched, unmatched)


def tamper(lines):
    """Drops what the first receive of a sent message learnt from others."""
    sent = set()
    for i in range(2, len(lines) - 1, 2):
        m = re.match(r"^@\d+ send (.*)$", lines[i])
        if m:
            sent.add(m.group(1))
    for i in range(2, len(lines) - 1, 2):
        m = re.match(r"^@\d+ recv (.*)$", lines[i])
        if m and m.group(1) in sent:
            host, clock = lines[i + 1].split(" ", 1)
            own = json.loads(clock)[host]
            lines[i + 1] = "%s %s" % (host, json.dumps({host: own}))
            return lines
    raise SystemExit("--tamper: no receive of a sent message to break")


def check_shiviz(a):
    with open(a.file) as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if a.tamper:
        errs, _ = check_shiviz_lines(tamper(lines), a.min_matched)
        if not errs:
            return ["a tampered clock passed the check: the checker cannot fail"], ""
        return [], "a tampered clock is caught: %s" % errs[0]
    return check_shiviz_lines(lines, a.min_matched)


def check_compare_svg(a):
    root, texts = parse_svg(a.file)
    errs = []
    curves = {p.get("id"): p for p in root.iter(NS + "polyline")}
    for name in ("xroad", "fixed-light"):
        p = curves.get(name)
        if p is None:
            errs.append("no %s curve" % name)
            continue
        pts = [tuple(map(float, xy.split(","))) for xy in p.get("points").split()]
        if len(pts) < 20:
            errs.append("%s: %d points" % (name, len(pts)))
        # A cumulative distribution never goes back: x (delay) and the
        # share (up the page, so y down) only grow.
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if x1 < x0 - 0.01 or y1 > y0 + 0.01:
                errs.append("%s: not monotone at %s -> %s" % (name, (x0, y0), (x1, y1)))
                break
    for prefix in ("xroad: ", "fixed-cycle light: "):
        if not any(t.startswith(prefix) and "p99" in t for t in texts):
            errs.append("no legend entry %r with p99" % prefix)
    for label in ("vehicles with at most this delay", "10 ms", "1 s"):
        if label not in texts:
            errs.append("no text %r" % label)
    if not any(t.startswith("delay per vehicle") for t in texts):
        errs.append("no delay axis label")
    return errs, "curves %s" % sorted(curves)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    t = sub.add_parser("trace-svg")
    t.add_argument("file")
    t.add_argument("--nodes", type=int, required=True)
    t.add_argument("--deadlock", choices=("yes", "no"))
    t.add_argument("--classes")
    t.add_argument("--cut", action="store_true")
    t.add_argument("--shade-within", type=int, metavar="MS",
                   help="every deadlock declared lies in a shaded interval of its cars, none longer than MS")
    s = sub.add_parser("shiviz")
    s.add_argument("file")
    s.add_argument("--min-matched", type=int, default=1)
    s.add_argument("--tamper", action="store_true")
    c = sub.add_parser("compare-svg")
    c.add_argument("file")
    a = ap.parse_args()
    check = {"trace-svg": check_trace_svg, "shiviz": check_shiviz, "compare-svg": check_compare_svg}[a.what]
    try:
        errs, summary = check(a)
    except ET.ParseError as e:
        errs, summary = ["not XML: %s" % e], ""
    if errs:
        for e in errs[:10]:
            print("check_pictures.py %s %s: %s" % (a.what, a.file, e), file=sys.stderr)
        sys.exit(1)
    print("check_pictures.py %s %s: ok: %s" % (a.what, a.file, summary))


if __name__ == "__main__":
    main()
