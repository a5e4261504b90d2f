#!/usr/bin/env python3
"""Integration tests on real processes: a light and N cars, each an `xroad`
process, over ipc sockets in a temporary directory or tcp on 127.0.0.1.

    xroad_it.py SCENARIO --build BUILD_DIR [--keep]

Scenarios (each < 120 s on 2 cores; every process is killed at the end):
  rounds50      5 processes, 50 rounds, traces on; I1-I5 checked
  straight      all-straight routes: a deadlock every round, all resolved
  kill9         kill -9 of a car in mid-round, restart, run completes, I5
  kill9_light   kill -9 of the light in mid-round: the highest car is elected
                coordinator at a higher epoch (seen in `xroadctl status`);
                `xroadctl pause`, `run` and `resume` reach it and take effect
                (another car refuses them, naming it); the run completes with
                every crossing stored once; the light comes back, rejoins and
                coordinates again at a newer epoch
  dead_car      kill -9 of a car that stays dead: after fail_ms the light
                takes it out of its round and the rounds go on without it;
                restarted, it rejoins; every crossing made is stored once.
                A car killed after it was granted the box holds its round
                until it is back (checked, then the kill is tried again)
  dead_car_in_box  kill -9 of a car in the box: the light awaits it (it was
                granted, it may have crossed), no round ends without it;
                restarted, it drives out; every crossing stored once
  netns_partition  five network namespaces on a bridge, one node each over
                tcp: a car is cut off (link down, then tc netem loss 100%),
                the others go on without it, the link heals, it rejoins;
                I1-I5. Exit 77 (skipped) where namespaces cannot be made
  optimal       all cars straight with schedule = optimal: no deadlock, the
                opposite pairs cross together, I1-I5
  open_rounds   arrivals = poisson, 6 vehicles per car at a mean headway of
                150 ms, a car killed and restarted: every vehicle crosses once
                (logs, table), cars sit rounds out and the light waits, I1;
                `xroadctl status` and `watch` show the arrivals and queues
  garbage       garbage, oversized and unknown-sender frames sent to a node's
                request port and to its wave port: refused (counter + log
                line), the run completes
  stray         on ipc, then on tcp: stray connections (connect and close,
                half an SP header, a foreign protocol's header, one held
                open) on every listener of every node and a second node with
                a running id; every node still answers a new client, none
                spins, and after a restart of the light and of a car (new
                connections to every listener) the run completes; I1-I5
  forged_epoch  forged Election/Coordinator/Heartbeat from "node 4" at
                epoch 2^32-1 and one 70,000 above the light's epoch: refused
                and counted, the light keeps its epoch, rounds go on, its
                log stays small; a burst of 1,500 garbage frames is logged
                at most 200 lines a second, the rest summed up, and the
                sums match net_stats
  forged_reply  node 4 is an impostor whose replies to the light's Deliver
                requests carry a Crossed "from node 3" (refused: a reply
                carries its node's own messages only) and then 9 Envelopes
                (refused whole, at most 8); the light goes on with the
                three real cars, whose replies carried their grants and
                notices (net_stats carried > 0)
  tcp           like rounds50 on tcp, 10 rounds, ring topology
  tls           five nodes on tls+tcp (mutual TLS, certificates from
                tools/gen-certs), star topology; xroadctl with its ctl
                certificate; rogue clients (a foreign CA's certificate, no
                certificate, plain tcp, a foreign xroadctl) are refused and
                counted by the node they tried, and by no other; I1-I5
  config        broken configuration and routes files, TLS files included:
                exit 2, file:line or the file named
  gencerts      tools/gen-certs: files and modes, names, a second run keeps
                everything, a changed host or a foreign file is refused,
                --force starts over

How the invariants are checked (docs/NET.md, "Integration tests"):
  I1  from the cars' `enter` / `crossing` log lines: their at_ms is the
      host's CLOCK_MONOTONIC, shared by all processes, so the [enter, exit]
      intervals of two cars of one round whose paths share a cell must not
      overlap.
  I2  the coordinator logs round_end for every round and `done`; every car
      not away logs a crossing for every round; every declared deadlock's
      round ends.
  I3  every cycle the light declares is made of real wait-for edges: each
      edge a->b follows from the round's intents by the rules of docs/DESIGN.md
      section 1 (ties by arrival accepted either way) or is the reversed edge
      of an earlier override of that round; and no car of the cycle had
      entered the box when it was declared.
  I4  every node's crossing log file (state_dir/node-N.log) is identical;
      a node away when rounds ended holds it with those rounds missing.
  I5  in the crossings table, count(*) = count(distinct run,round,car) =
      crossings made (cars x rounds when nobody was away).
"""
import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

APPROACHES = ["S", "E", "N", "W"]
CELLS = {  # docs/DESIGN.md section 1
    ("S", "right"): ["SE"], ("S", "straight"): ["SE", "NE"], ("S", "left"): ["SE", "NE", "NW"],
    ("E", "right"): ["NE"], ("E", "straight"): ["NE", "NW"], ("E", "left"): ["NE", "NW", "SW"],
    ("N", "right"): ["NW"], ("N", "straight"): ["NW", "SW"], ("N", "left"): ["NW", "SW", "SE"],
    ("W", "right"): ["SW"], ("W", "straight"): ["SW", "SE"], ("W", "left"): ["SW", "SE", "NE"],
}
KV = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
SOURCE = os.environ.get("XROAD_SOURCE_DIR") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
GEN_CERTS = os.path.join(SOURCE, "tools", "gen-certs")


def fail(msg):
    print("FAIL: " + msg, flush=True)
    raise SystemExit(1)


def parse_line(line):
    return {k: v.strip('"') for k, v in KV.findall(line)}


class Cluster:
    def __init__(self, build, tmp, cars=4, rounds=10, cross_ms=20, routes=None,
                 topology="star", transport="ipc", stall_ms=300, trace=False, hosts=None,
                 prefix=None, settings=()):
        self.build, self.tmp, self.cars, self.rounds = build, tmp, cars, rounds
        self.procs = {}
        self.prefix = prefix or (lambda i: [])
        self.env = dict(os.environ)
        self.trace = trace
        self.conf = os.path.join(tmp, "cluster.conf")
        routes_path = os.path.join(tmp, "routes.txt")
        with open(routes_path, "w") as f:
            f.write(routes or "right 1\nstraight 2\nleft 1\n")
        lines = ["run = it-%d" % os.getpid(), "seed = 7", "topology = " + topology,
                 "routes = routes.txt", "state_dir = state", "rounds = %d" % rounds,
                 "cross_ms = %d" % cross_ms, "resend_ms = 50", "stall_ms = %d" % stall_ms]
        self.addr = []
        lines += list(settings)
        if transport == "tls":
            lines.append("tls_ca = certs/ca.crt")
        for i in range(cars + 1):
            if hosts is not None:
                addr = "tcp://%s:7100" % hosts[i]
            elif transport in ("tcp", "tls"):
                addr = "%s://127.0.0.1:%d" % ("tls+tcp" if transport == "tls" else "tcp",
                                              free_port_pair())
            else:
                addr = "ipc://%s/n%d" % (tmp, i)
            self.addr.append(addr)
            if i == 0:
                lines.append("node 0 light - " + addr)
            else:
                lines.append("node %d car %s %s" % (i, APPROACHES[(i - 1) % 4], addr))
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        if transport == "tls":
            gen_certs(["--config", self.conf, "--out", os.path.join(tmp, "certs")])
        self.run = "it-%d" % os.getpid()
        self.state = os.path.join(tmp, "state")
        self.db = os.path.join(self.state, "xroad.db")

    def log(self, i):
        return os.path.join(self.tmp, "n%d.log" % i)

    def start(self, i, trace_suffix=""):
        args = self.prefix(i) + [os.path.join(self.build, "xroad"), "--config", self.conf, "--id", str(i)]
        if self.trace:
            args += ["--trace", os.path.join(self.tmp, "n%d%s.trace" % (i, trace_suffix))]
        err = open(self.log(i), "a")
        self.procs[i] = subprocess.Popen(args, stderr=err, stdout=err, env=self.env)

    def start_all(self):
        for i in range(1, self.cars + 1):
            self.start(i)
        self.start(0)

    def lines(self, i, event=None):
        try:
            with open(self.log(i)) as f:
                out = [parse_line(l) for l in f]
        except FileNotFoundError:
            return []
        return [l for l in out if event is None or l.get("event") == event]

    def wait_done(self, timeout):
        """Until some node logs `done`: the light, or a car that took over."""
        end = time.time() + timeout
        while time.time() < end:
            if any(self.lines(i, "done") for i in range(self.cars + 1)):
                return
            for i, p in self.procs.items():
                if p.poll() is not None:
                    fail("node %d exited early with %s; log tail:\n%s" %
                         (i, p.returncode, tail(self.log(i))))
            time.sleep(0.1)
        fail("run not done in %ds; light log tail:\n%s" % (timeout, tail(self.log(0))))

    def stop(self, i, sig=signal.SIGTERM):
        p = self.procs.get(i)
        if p is None or p.poll() is not None:
            return p.returncode if p else None
        p.send_signal(sig)
        try:
            return p.wait(15)
        except subprocess.TimeoutExpired:
            # Where it hangs, for the kept files: every thread's stack.
            where = ""
            if shutil.which("gdb"):
                path = os.path.join(self.tmp, "n%d.stacks" % i)
                with open(path, "w") as f:
                    subprocess.run(["gdb", "-p", str(p.pid), "-batch", "-ex",
                                    "thread apply all bt"], stdout=f,
                                   stderr=subprocess.STDOUT, timeout=60)
                where = "; its threads' stacks in %s" % path
            p.kill()
            p.wait()
            fail("node %d did not stop on %s%s" % (i, sig, where))

    def stop_all(self):
        for i in range(1, self.cars + 1):
            rc = self.stop(i)
            if rc not in (0, None):
                fail("car %d exited with %s on SIGTERM" % (i, rc))
        rc = self.stop(0)
        if rc not in (0, None):
            fail("light exited with %s on SIGTERM" % rc)

    def kill_all(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()


def gen_certs(args, want_rc=0):
    r = subprocess.run([GEN_CERTS] + args, capture_output=True, text=True, timeout=60)
    if r.returncode != want_rc:
        fail("gen-certs %s: exit %d, expected %d\n%s%s" %
             (" ".join(args), r.returncode, want_rc, r.stdout, r.stderr))
    return r


def free_port_pair():
    import random
    import socket
    for _ in range(500):
        p = random.randint(20000, 60000) & ~1
        socks, ok = [], True
        for q in (p, p + 1):
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", q))
            except OSError:
                ok = False
            socks.append(s)
        for s in socks:
            s.close()
        if ok:
            return p
    fail("no free port pair")


def tail(path, n=15):
    try:
        with open(path) as f:
            return "".join(f.readlines()[-n:])
    except FileNotFoundError:
        return "(no log)"


def yields(a, b):
    """True when intent a must wait for b by docs/DESIGN.md section 1; for ties
    decided by arrival (opposite lefts, same lane) returns None."""
    ia, ib = APPROACHES.index(a["approach"]), APPROACHES.index(b["approach"])
    if ia == ib:
        return None
    if not set(CELLS[(a["approach"], a["turn"])]) & set(CELLS[(b["approach"], b["turn"])]):
        return False
    if (ia + 2) % 4 == ib:
        if a["turn"] == "left" and b["turn"] == "left":
            return None
        return a["turn"] == "left"
    return (ia + 1) % 4 == ib


def coordinator_lines(c, event):
    """`event` lines of every node that coordinated (the light, or a car
    elected while the light was away), in time order."""
    out = []
    for i in range(c.cars + 1):
        out += c.lines(i, event)
    return sorted(out, key=lambda l: int(l.get("at_ms", 0)))


def check_invariants(c, expect_deadlock_every_round=False, away=()):
    """`away`: nodes dead while rounds ended: they miss those rounds' log
    lines, and a car its crossings (docs/FAILURES.md); 0 is the light."""
    rounds, cars = c.rounds, c.cars
    # I2 --------------------------------------------------------------
    ends = {int(l["round"]) for l in coordinator_lines(c, "round_end")}
    if ends != set(range(1, rounds + 1)):
        fail("I2: rounds ended %s, expected 1..%d" % (sorted(ends), rounds))
    intents, enter, leave = {}, {}, {}
    # A car the coordinator took out of a round (silent for fail_ms, never
    # granted: docs/PROTOCOL.md "Absent cars") is in that round's log as
    # `left`: not a crossing, and nobody of the round forgotten. The stray
    # test's broken ipc listeners can silence a car that long.
    taken_out = {(int(l["round"]), int(l["car"]))
                 for l in coordinator_lines(c, "car_left")
                 if int(l.get("round", 0)) != 0}
    for car in range(1, cars + 1):
        for l in c.lines(car, "intent"):
            intents[(int(l["round"]), car)] = l
        for l in c.lines(car, "enter"):
            enter[(int(l["round"]), car)] = int(l["at_ms"])
        for l in c.lines(car, "crossing"):
            leave[(int(l["round"]), car)] = int(l["at_ms"])
        for r in range(1, rounds + 1):
            if ((r, car) not in leave and car not in away and
                    (r, car) not in taken_out):
                fail("I2: car %d has no crossing in round %d" % (car, r))
    # I1 --------------------------------------------------------------
    pairs = 0
    for r in range(1, rounds + 1):
        for a in range(1, cars + 1):
            for b in range(a + 1, cars + 1):
                ia, ib = intents.get((r, a)), intents.get((r, b))
                # A car without an enter and a leave line (killed) is skipped.
                if ia is None or ib is None or (r, a) not in enter or (r, b) not in enter or \
                        (r, a) not in leave or (r, b) not in leave:
                    continue
                if not set(CELLS[(ia["approach"], ia["turn"])]) & set(CELLS[(ib["approach"], ib["turn"])]):
                    continue
                pairs += 1
                if enter[(r, a)] < leave[(r, b)] and enter[(r, b)] < leave[(r, a)]:
                    fail("I1: round %d cars %d and %d share a cell and were in the box together "
                         "(%d-%d, %d-%d)" % (r, a, b, enter[(r, a)], leave[(r, a)],
                                             enter[(r, b)], leave[(r, b)]))
    # I3 --------------------------------------------------------------
    deadlocks = coordinator_lines(c, "deadlock")
    overrides = {}
    for d in deadlocks:
        r = int(d["round"])
        cycle = [int(x) for x in d["cycle"].split(",") if x]
        reversed_edges = overrides.setdefault(r, set())
        for k, a in enumerate(cycle):
            b = cycle[(k + 1) % len(cycle)]
            ia, ib = intents[(r, a)], intents[(r, b)]
            if (a, b) in reversed_edges:
                continue
            y = yields(ia, ib)
            if y is False:
                fail("I3: round %d deadlock %s: %d does not wait for %d (%s %s vs %s %s)" %
                     (r, cycle, a, b, ia["approach"], ia["turn"], ib["approach"], ib["turn"]))
            at = int(d["at_ms"])
            if enter.get((r, a), at) < at:
                fail("I3: round %d deadlock %s declared after car %d entered" % (r, cycle, a))
        reversed_edges.add((int(d["loser"]), int(d["winner"])))
    if expect_deadlock_every_round:
        rounds_with = {int(d["round"]) for d in deadlocks}
        if rounds_with != set(range(1, rounds + 1)):
            fail("expected a deadlock in every round, got rounds %s" % sorted(rounds_with))
    # I4 --------------------------------------------------------------
    logs = []
    for i in range(cars + 1):
        with open(os.path.join(c.state, "node-%d.log" % i)) as f:
            logs.append(f.read())
    ref = min(set(range(1, cars + 1)) - set(away))
    for i in range(cars + 1):
        if i in away:
            # Away at some rounds' ends: the common log, those rounds missing.
            it = iter(logs[ref].splitlines())
            if not all(any(x == y for y in it) for x in logs[i].splitlines()):
                fail("I4: node %d's log is not the common log with rounds left out" % i)
        elif logs[i] != logs[ref]:
            fail("I4: node %d's crossing log differs from car %d's" % (i, ref))
    entries = [l.split() for l in logs[ref].splitlines()]
    by_round = {}
    for e in entries:
        by_round.setdefault(int(e[0]), []).append(int(e[2]))
    if sorted(by_round) != list(range(1, rounds + 1)) or \
            any(len(v) != len(set(v)) for v in by_round.values()):
        fail("I4: car %d's log does not hold rounds 1..%d with each car once" % (ref, rounds))
    cars_away = set(away) - {0}
    if not cars_away and len(entries) != cars * rounds:
        fail("I4: car %d logged %d entries, expected %d" % (ref, len(entries), cars * rounds))
    if 0 in away:
        print("ok: I4 light logged %d of %d crossings (dead for the rest)" %
              (logs[0].count("\n"), len(entries)), flush=True)
    # I5 --------------------------------------------------------------
    db = sqlite3.connect(c.db)
    total, distinct = db.execute(
        "select count(*), count(distinct run||'/'||round||'/'||car) from crossings where run=?",
        (c.run,)).fetchone()
    db.close()
    made = len({(int(l["round"]), car) for car in range(1, cars + 1) for l in c.lines(car, "crossing")})
    if not (total == distinct == made) or (not cars_away and made != cars * rounds):
        fail("I5: crossings table has %d rows, %d distinct, crossings made %d (%d x %d)" %
             (total, distinct, made, cars, rounds))
    print("ok: I1 (%d conflicting pairs checked) I2 (%d rounds) I3 (%d deadlocks) I4 I5 (%d rows)" %
          (pairs, rounds, len(deadlocks), total), flush=True)
    return deadlocks


def check_traces(c, build):
    ctl = os.path.join(build, "xroadctl")
    for i in range(c.cars + 1):
        path = os.path.join(c.tmp, "n%d.trace" % i)
        if not os.path.exists(path):
            fail("trace %s missing" % path)
        if os.path.exists(ctl):
            r = subprocess.run([ctl, "trace", path], capture_output=True, text=True, timeout=30)
            if r.returncode != 0:
                fail("xroadctl trace %s: %s" % (path, r.stderr.strip()[:300]))
            if "send" not in r.stdout:
                fail("trace %s has no sends" % path)
    print("ok: %d traces readable" % (c.cars + 1), flush=True)


def scenario_rounds50(args, tmp):
    c = Cluster(args.build, tmp, rounds=50, cross_ms=10, trace=True)
    try:
        c.start_all()
        c.wait_done(90)
        c.stop_all()
        check_invariants(c)
        check_traces(c, args.build)
    finally:
        c.kill_all()


def scenario_tcp(args, tmp):
    c = Cluster(args.build, tmp, rounds=10, cross_ms=10, transport="tcp", topology="ring")
    try:
        c.start_all()
        c.wait_done(60)
        c.stop_all()
        check_invariants(c)
    finally:
        c.kill_all()


def scenario_straight(args, tmp):
    """Every round deadlocks. At debug level the daemon logs the core's
    decision lines (`decision`): each deadlock the light logs has the
    decision that declared it and the one that let its winner go."""
    c = Cluster(args.build, tmp, rounds=20, cross_ms=10, routes="straight 1\n")
    c.env["XROAD_LOG"] = "debug"
    c.env["XROAD_LOG_RATE"] = "0"
    try:
        c.start_all()
        c.wait_done(90)
        c.stop_all()
        check_invariants(c, expect_deadlock_every_round=True)
        said = [l.get("what", "") for l in c.lines(0, "decision")]
        for d in c.lines(0, "deadlock"):
            declared = "-> deadlock, %s arrived first and goes before %s" % (d["winner"], d["loser"])
            released = "known to all -> %s proceeds" % d["winner"]
            for want in (declared, released):
                if not any(want in w for w in said):
                    fail("round %s: no decision line with %r on the light (%d decision lines)"
                         % (d["round"], want, len(said)))
        print("ok: %d deadlocks, each with its decision lines (%d in all)"
              % (len(c.lines(0, "deadlock")), len(said)), flush=True)
    finally:
        c.kill_all()


def scenario_optimal(args, tmp):
    """All cars straight (a 4-cycle every round under the rules) with
    schedule = optimal: every car waits by the optimal edges, so no round
    deadlocks, N-S and E-W pairs cross together, and I1-I5 hold."""
    c = Cluster(args.build, tmp, rounds=20, cross_ms=30, routes="straight 1\n",
                settings=["schedule = optimal"])
    try:
        c.start_all()
        c.wait_done(90)
        c.stop_all()
        check_invariants(c)
        deadlocks = coordinator_lines(c, "deadlock")
        if deadlocks:
            fail("%d deadlocks with schedule = optimal: %s" % (len(deadlocks), deadlocks[0]))
        # Opposite cars go straight together: S (1) with N (3), E (2) with W (4).
        together = 0
        for r in range(1, c.rounds + 1):
            at = {car: [int(l["at_ms"]) for l in c.lines(car, "enter") if int(l["round"]) == r]
                  for car in range(1, 5)}
            if all(at.values()) and abs(at[1][0] - at[3][0]) < 30 and abs(at[2][0] - at[4][0]) < 30:
                together += 1
        if together != c.rounds:
            fail("opposite cars entered together in %d of %d rounds" % (together, c.rounds))
        print("ok: %d rounds, 0 deadlocks, opposite cars together every round" % c.rounds,
              flush=True)
    finally:
        c.kill_all()


def state_arrivals_from(c, car):
    """arrivals_from_ms in car's node-N.state (None: no file or no key)."""
    try:
        with open(os.path.join(c.state, "node-%d.state" % car)) as f:
            m = re.search(r" arrivals_from_ms=(\d+)", f.read())
    except FileNotFoundError:
        return None
    return int(m.group(1)) if m else None


VEHICLES = re.compile(r"^    vehicles: (\d+) of (\d+) arrived, (\d+) crossed, (\d+) waiting$")


def check_status_queues(c, vehicles, headway):
    """`xroadctl status` of an open-rounds cluster: the arrivals line, and
    under every car its vehicles, consistent with --json's queue. Returns
    {car: (arrived, crossed, waiting)}."""
    r = ctl(c.build, "--config", c.conf, "status")
    want = "arrivals: poisson, mean headway %d ms, %d vehicles per car" % (headway, vehicles)
    if want not in r.stdout.splitlines():
        fail("status has no line %r:\n%s%s" % (want, r.stdout, r.stderr))
    queues, car = {}, None
    for line in r.stdout.splitlines():
        m = re.match(r"^(\d+)\s+car\s", line)
        if m:
            car = int(m.group(1))
            continue
        m = VEHICLES.match(line)
        if m and car is not None:
            a, n, x, w = (int(g) for g in m.groups())
            if n != vehicles or x > a or a > n or w != a - x:
                fail("status: car %d: %r" % (car, line))
            queues[car] = (a, x, w)
    if sorted(queues) != list(range(1, c.cars + 1)):
        fail("status shows the vehicles of cars %s:\n%s" % (sorted(queues), r.stdout))
    js = ctl_status(c)
    for i in range(c.cars + 1):
        n = js[i]
        if n.get("arrivals") != "poisson" or n.get("headway_ms") != headway:
            fail("status --json node %d: arrivals %r headway_ms %r" %
                 (i, n.get("arrivals"), n.get("headway_ms")))
        q = n.get("queue")
        if i == 0:
            if q is not None:
                fail("status --json: the light has a queue: %r" % q)
            continue
        if q is None or q["vehicles"] != vehicles or q["crossed"] != n["own"] or \
                q["waiting"] != max(q["arrived"] - q["crossed"], 0):
            fail("status --json car %d: queue %r, own %r" % (i, q, n.get("own")))
    return queues


def scenario_open_rounds(args, tmp):
    """arrivals = poisson (open rounds): each car sends `rounds` = 6
    vehicles with exponential gaps of mean 150 ms; a round opens when some
    car has one, the others sit it out, and the light waits when none has.
    Car 2 is killed (SIGKILL) after its second crossing and restarted: its
    first start, where its vehicles count from, comes back from node-2.state.
    Checked: the run ends (`done`) with every car's 6 vehicles crossed once
    each (the cars' logs, every node's crossing log, the SQLite table),
    rounds with fewer than all cars and the core's sit-out / wait decision
    lines, no two cars of a round whose paths share a cell in the box
    together, and `xroadctl status` / `watch` showing the arrivals and each
    car's vehicles during and after the run."""
    vehicles, headway, victim = 6, 150, 2
    c = Cluster(args.build, tmp, rounds=vehicles, cross_ms=20, trace=True,
                settings=["arrivals = poisson", "headway_ms = %d" % headway])
    c.env["XROAD_LOG"] = "debug"
    c.env["XROAD_LOG_RATE"] = "0"
    cars = c.cars
    try:
        c.start_all()
        # During the run: the arrivals and every car's queue.
        # Every node up (a car still starting would be unreachable).
        wait_for("every node to start", lambda: all(c.lines(i, "started")
                                                   for i in range(cars + 1)), 30, poll=0.01)
        q = check_status_queues(c, vehicles, headway)
        print("ok: status during the run: %s" %
              ", ".join("car %d %d/%d/%d" % ((k,) + q[k]) for k in sorted(q)), flush=True)
        w = ctl(c.build, "--config", c.conf, "watch", "--frames", "1", "--interval", "10")
        frame = w.stdout.splitlines()
        if w.returncode != 0 or len(frame) < 2 or not frame[1].startswith("vehicles: ") or \
                any(len(l) > 80 for l in frame):
            fail("watch: exit %d, frame:\n%s" % (w.returncode, w.stdout))
        print("ok: watch: %s" % frame[1], flush=True)
        # Car 2 dies after its second crossing and comes back.
        wait_for("car %d's second crossing" % victim,
                 lambda: len(c.lines(victim, "crossing")) >= 2, 30, poll=0.01)
        before = state_arrivals_from(c, victim)
        c.procs[victim].kill()
        c.procs[victim].wait()
        time.sleep(0.3)
        c.start(victim)
        c.wait_done(90)
        if not any(l.get("restarted") == "1" for l in c.lines(victim, "started")):
            fail("car %d did not restart from its state" % victim)
        after = state_arrivals_from(c, victim)
        if not before or after != before:
            fail("car %d's arrivals_from_ms: %r before the kill, %r after" % (victim, before, after))
        print("ok: car %d killed after 2 crossings, restarted, arrivals_from_ms %d kept" %
              (victim, after), flush=True)
        # After the run: every vehicle arrived and crossed, none waits.
        q = check_status_queues(c, vehicles, headway)
        if any(q[k] != (vehicles, vehicles, 0) for k in q):
            fail("status after the run: %r" % q)
        c.stop_all()

        # Every car crossed its 6 vehicles, once each, one a round.
        for car in range(1, cars + 1):
            rounds = [int(l["round"]) for l in c.lines(car, "crossing")]
            if len(rounds) != vehicles or len(set(rounds)) != vehicles:
                fail("car %d crossed in rounds %s, expected %d rounds" % (car, rounds, vehicles))
        # Every node's crossing log is the same: 24 crossings, 6 per car.
        logs = []
        for i in range(cars + 1):
            with open(os.path.join(c.state, "node-%d.log" % i)) as f:
                logs.append(f.read())
        if any(l != logs[1] for l in logs):
            fail("I4: the nodes' crossing logs differ")
        entries = [l.split() for l in logs[1].splitlines()]
        crossed = [(int(e[0]), int(e[2])) for e in entries if "left" not in e[3:]]
        per_car = {car: sum(1 for _, k in crossed if k == car) for car in range(1, cars + 1)}
        if len(crossed) != cars * vehicles or len(set(crossed)) != len(crossed) or \
                any(v != vehicles for v in per_car.values()):
            fail("I4: the crossing log has %d crossings (%d distinct), per car %s" %
                 (len(crossed), len(set(crossed)), per_car))
        by_round = {}
        for r, k in crossed:
            by_round.setdefault(r, set()).add(k)
        ends = {int(l["round"]) for l in coordinator_lines(c, "round_end")}
        if sorted(by_round) != list(range(1, len(by_round) + 1)) or ends != set(by_round):
            fail("rounds logged %s, ended %s" % (sorted(by_round), sorted(ends)))
        partial = [r for r in by_round if len(by_round[r]) < cars]
        if not partial:
            fail("every one of %d rounds had all %d cars: no open round" % (len(by_round), cars))
        # The table: 24 rows, 6 per car, none twice.
        db = sqlite3.connect(c.db)
        total, distinct = db.execute(
            "select count(*), count(distinct run||'/'||round||'/'||car) from crossings "
            "where run=?", (c.run,)).fetchone()
        table = dict(db.execute("select car, count(*) from crossings where run=? group by car",
                                (c.run,)).fetchall())
        db.close()
        if total != distinct or total != cars * vehicles or table != per_car:
            fail("I5: the table has %d rows, %d distinct, per car %s" % (total, distinct, table))
        # The core's decisions: cars sat rounds out, the light waited.
        sat = sum(1 for car in range(1, cars + 1) for l in c.lines(car, "decision")
                  if "no vehicle at the line -> sit it out" in l.get("what", ""))
        waited = sum(1 for l in c.lines(0, "decision")
                     if "no vehicle at any line -> wait for one" in l.get("what", ""))
        finished = [l for l in c.lines(0, "decision")
                    if "every car's vehicles crossed -> done" in l.get("what", "")]
        if not sat or not waited or not finished:
            fail("decision lines: %d sit-outs, %d waits, %d done" % (sat, waited, len(finished)))
        # No two cars of a round whose paths share a cell in the box together.
        intents, enter, leave, pairs = {}, {}, {}, 0
        for car in range(1, cars + 1):
            for ev, into in (("intent", intents), ("enter", enter), ("crossing", leave)):
                for l in c.lines(car, ev):
                    into[(int(l["round"]), car)] = l
        for r, ks in by_round.items():
            ks = sorted(ks)
            for i, a in enumerate(ks):
                for b in ks[i + 1:]:
                    ia, ib = intents.get((r, a)), intents.get((r, b))
                    if None in (ia, ib) or (r, a) not in enter or (r, b) not in enter or \
                            (r, a) not in leave or (r, b) not in leave:
                        continue
                    if not set(CELLS[(ia["approach"], ia["turn"])]) & \
                            set(CELLS[(ib["approach"], ib["turn"])]):
                        continue
                    pairs += 1
                    ea, la = int(enter[(r, a)]["at_ms"]), int(leave[(r, a)]["at_ms"])
                    eb, lb = int(enter[(r, b)]["at_ms"]), int(leave[(r, b)]["at_ms"])
                    if ea < lb and eb < la:
                        fail("I1: round %d cars %d and %d share a cell and were in the box "
                             "together" % (r, a, b))
        check_traces(c, args.build)
        # Car 2's trace replays across its restart only if its START records
        # the first start its vehicles count from (TraceRecord.durable).
        replay = os.path.join(args.build, "tests", "replay_trace")
        if os.path.exists(replay):
            for i in range(cars + 1):
                r = subprocess.run([replay, os.path.join(tmp, "n%d.trace" % i)],
                                   capture_output=True, text=True, timeout=60)
                if r.returncode != 0:
                    fail("node %d's trace does not replay:\n%s" % (i, (r.stdout + r.stderr)[-600:]))
            print("ok: %d traces replay, car %d's across its restart" % (cars + 1, victim), flush=True)
        print("ok: %d crossings (%d per car) in %d rounds, %d with fewer than %d cars; "
              "%d sit-outs, the light waited %d times; I1 (%d pairs) I4 I5" %
              (len(crossed), vehicles, len(by_round), len(partial), cars, sat, waited, pairs),
              flush=True)
    finally:
        c.kill_all()


def scenario_kill9(args, tmp):
    c = Cluster(args.build, tmp, rounds=20, cross_ms=40, trace=True)
    victim = 2
    try:
        c.start_all()
        # Wait for round 5 to start, then kill the car in the middle of it.
        wait_for("round 5", lambda: any(int(l["round"]) >= 5 for l in c.lines(0, "round_start")),
                 30, poll=0.01)
        time.sleep(0.06)
        c.procs[victim].kill()
        c.procs[victim].wait()
        print("killed car %d with SIGKILL during round %s" %
              (victim, c.lines(0, "round_start")[-1]["round"]), flush=True)
        time.sleep(0.5)
        c.start(victim)  # appends to its trace
        c.wait_done(90)
        c.stop_all()
        if not any(l.get("restarted") == "1" for l in c.lines(victim, "started")):
            fail("restarted car did not reload its durable state")
        # On a loaded machine the restart can take longer than fail_ms: the
        # light then takes the car out of its round (it was not granted the
        # box), which is the dead_car case; its missed round is allowed.
        out = [l for l in coordinator_lines(c, "car_left")
               if int(l["car"]) == victim and int(l["round"]) != 0]
        if out:
            print("note: car %d was down past fail_ms and taken out of round %s" %
                  (victim, out[0]["round"]), flush=True)
        check_invariants(c, away=(victim,) if out else ())
    finally:
        c.kill_all()


def ctl_status(c):
    r = subprocess.run([os.path.join(c.build, "xroadctl"), "--config", c.conf, "status", "--json"],
                       capture_output=True, text=True, timeout=30)
    try:
        return {n["id"]: n for n in json.loads(r.stdout)["nodes"]}
    except (ValueError, KeyError):
        fail("xroadctl status --json: exit %d, %r %r" % (r.returncode, r.stdout[:300], r.stderr[:300]))


def table_rows(c):
    db = sqlite3.connect(c.db, timeout=10)
    try:
        return db.execute("select count(*) from crossings where run=?", (c.run,)).fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def wait_for(what, pred, timeout, poll=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(poll)
    fail("timed out after %ds waiting for %s" % (timeout, what))


def check_round_control(c, heir, epoch, more=5):
    """xroadctl pause, run and resume while car `heir` coordinates (the light
    dead): a car that does not coordinate refuses, naming `heir`; --config
    finds `heir` and the commands take effect there: the round under way
    ends, then no round starts, rounds queued meanwhile wait, and after
    resume they go on. Adds `more` rounds to the run (c.rounds)."""
    conf = ["--config", c.conf]
    r = ctl(c.build, "--node", c.addr[1], "pause")
    if r.returncode != 1 or "node %d (a car, elected) does" % heir not in r.stderr:
        fail("xroadctl --node car 1 pause: exit %d, expected 1 and car %d named\n%s%s" %
             (r.returncode, heir, r.stdout, r.stderr))
    ends = lambda: max([int(l["round"]) for l in c.lines(heir, "round_end")] or [0])
    starts = lambda: max([int(l["round"]) for l in c.lines(heir, "round_start")] or [0])
    r = ctl(c.build, *conf, "pause", "--json")
    at_pause = ends()
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = {}
    if r.returncode != 0 or out.get("coordinator") != heir or out.get("epoch") != epoch or \
            [n["id"] for n in out.get("nodes", []) if n["ok"]] != [heir]:
        fail("xroadctl pause --json with the light dead: exit %d, expected car %d at epoch %d\n%s%s" %
             (r.returncode, heir, epoch, r.stdout, r.stderr))
    if at_pause >= c.rounds:
        fail("the run ended (round %d) before the pause" % at_pause)
    # The round under way ends (a deadlocked one takes stall_ms and more).
    wait_for("the round under way to end", lambda: ends() >= starts(), 15)
    time.sleep(0.5)
    held = ends()
    if held > at_pause + 1 or starts() > held:
        fail("paused at round %d: rounds ended up to %d, started up to %d" %
             (at_pause, held, starts()))
    r = ctl(c.build, *conf, "run", "--rounds", str(more))
    if r.returncode != 0 or not r.stdout.startswith("node %d: run queued" % heir):
        fail("xroadctl run --rounds %d while paused: exit %d\n%s%s" %
             (more, r.returncode, r.stdout, r.stderr))
    c.rounds += more
    time.sleep(1.5)
    if ends() != held or starts() != held:
        fail("paused at round %d, yet rounds went on: ended %d, started %d" %
             (held, ends(), starts()))
    print("ok: xroadctl pause reached car %d (epoch %d): rounds held at %d for 2 s, "
          "%d more queued; car 1 refused, naming car %d" % (heir, epoch, held, more, heir), flush=True)
    r = ctl(c.build, *conf, "resume")
    if r.returncode != 0 or not r.stdout.startswith("node %d: resume done" % heir):
        fail("xroadctl resume with the light dead: exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    wait_for("a round to end after resume", lambda: ends() > held, 15)
    print("ok: xroadctl resume reached car %d: round %d ended" % (heir, ends()), flush=True)


def scenario_kill9_light(args, tmp):
    c = Cluster(args.build, tmp, rounds=30, cross_ms=40, trace=True)
    # The killed light's poller held queue messages it never stored; they
    # come back after the visibility timeout (30 s by default, like SQS's),
    # to whichever node coordinates then. Shorter here to keep the test short.
    c.env["XROAD_EMBEDDED_VISIBILITY_MS"] = "3000"
    light, heir = 0, c.cars
    try:
        c.start_all()
        wait_for("round 5", lambda: any(int(l["round"]) >= 5 for l in c.lines(0, "round_start")), 30)
        time.sleep(0.06)
        before = ctl_status(c)[heir]["epoch"]
        c.procs[light].kill()
        c.procs[light].wait()
        t_kill = time.time()
        print("killed the light with SIGKILL during round %s (epoch %d)" %
              (c.lines(0, "round_start")[-1]["round"], before), flush=True)
        took = wait_for("car %d to take over" % heir, lambda: c.lines(heir, "coordinator"), 15)
        print("car %d coordinates at epoch %s, %.1fs after the kill" %
              (heir, took[-1]["epoch"], time.time() - t_kill), flush=True)
        # The new coordinator's epoch is what every live node reports.
        st = wait_for("status to show car %d coordinating" % heir,
                      lambda: (lambda s: s if all(s[i].get("reachable") and s[i]["coordinator"] == heir
                                                  for i in range(1, c.cars + 1)) else None)(ctl_status(c)), 10)
        if st[light]["reachable"]:
            fail("xroadctl status reaches the killed light")
        epochs = {st[i]["epoch"] for i in range(1, c.cars + 1)}
        if len(epochs) != 1 or epochs.pop() <= before:
            fail("xroadctl status epochs %s, expected one epoch above %d" %
                 ([st[i]["epoch"] for i in range(1, c.cars + 1)], before))
        print("ok: xroadctl status: coordinator %d at epoch %d (was %d), light unreachable" %
              (heir, st[heir]["epoch"], before), flush=True)
        # Rounds go on under the car.
        wait_for("a round to end under car %d" % heir, lambda: c.lines(heir, "round_end"), 30)
        # xroadctl's round control reaches the car, not the dead light.
        check_round_control(c, heir, int(took[-1]["epoch"]))
        # The light returns from its state and takes over at a newer epoch.
        c.start(light, trace_suffix="-2")
        newer = lambda: [l for l in c.lines(light, "coordinator") if int(l["epoch"]) > int(took[-1]["epoch"])]
        back = wait_for("the light to coordinate again above epoch %s" % took[-1]["epoch"], newer, 15)
        st = wait_for("status to show the light coordinating",
                      lambda: (lambda s: s if all(s[i].get("reachable") and s[i]["coordinator"] == light
                                                  for i in range(c.cars + 1)) else None)(ctl_status(c)), 10)
        print("ok: the light rejoined and coordinates at epoch %s; status epochs %s" %
              (back[-1]["epoch"], [st[i]["epoch"] for i in range(c.cars + 1)]), flush=True)
        c.wait_done(90)
        wait_for("the redelivered crossings to reach the table",
                 lambda: table_rows(c) >= c.cars * c.rounds, 20)
        c.stop_all()
        check_invariants(c, away=(0,))
    finally:
        c.kill_all()


def kill_on(c, victim, event, at_round):
    """SIGKILL car `victim` as soon as it logs `event` for round `at_round`
    or later (polled every 2 ms, up to 30 s)."""
    wait_for("car %d's %s line for round %d" % (victim, event, at_round),
             lambda: any(int(l["round"]) >= at_round for l in c.lines(victim, event)),
             30, poll=0.002)
    c.procs[victim].kill()
    c.procs[victim].wait()


def scenario_dead_car(args, tmp):
    c = Cluster(args.build, tmp, rounds=30, cross_ms=20)
    victim = 2
    try:
        c.start_all()
        # A car killed after the light granted it the box may have crossed:
        # the round waits for it (light.c, "absent cars"). That is checked
        # too; the kill is then tried again a few rounds later, until the
        # car dies waiting and is taken out. It is killed as soon as it has
        # given its intent for the round, before the intent set is out, so
        # that most tries find it waiting.
        for attempt, at_round in enumerate((5, 9, 13, 17)):
            kill_on(c, victim, "intent", at_round)
            killed_in = int(c.lines(0, "round_start")[-1]["round"])
            print("killed car %d with SIGKILL during round %d" % (victim, killed_in), flush=True)
            # In the order the light logged them (car_left has no at_ms:
            # sorting on it put every car_left before any car_awaited).
            def absent():
                return [l for l in c.lines(0) if l.get("event") in ("car_left", "car_awaited")]
            seen = len(absent())
            found = wait_for("the light to find car %d absent" % victim,
                             lambda: absent()[seen:], 15)
            if found[0]["event"] == "car_left":
                left = found
                break
            # Granted: no round may end without it.
            ended = {int(l["round"]) for l in c.lines(0, "round_end")}
            time.sleep(2.0)
            later = {int(l["round"]) for l in c.lines(0, "round_end")} - ended
            if any(r >= int(found[0]["round"]) for r in later):
                fail("rounds %s ended while granted car %d was dead" % (sorted(later), victim))
            print("ok: car %d was granted round %s: no round ended in 2 s without it" %
                  (victim, found[0]["round"]), flush=True)
            c.start(victim, trace_suffix="-%d" % (attempt + 2))
            wait_for("car %d to cross round %s after its restart" % (victim, found[0]["round"]),
                     lambda: any(int(l["round"]) >= int(found[0]["round"])
                                 for l in c.lines(victim, "crossing")), 30)
        else:
            fail("car %d was granted the box at each of 4 kills; never taken out" % victim)
        print("light: car %d left round %s" % (victim, left[0]["round"]), flush=True)
        # Rounds go on without it.
        wait_for("3 rounds to end without car %d" % victim,
                 lambda: len([l for l in c.lines(0, "round_end") if int(l["round"]) > killed_in + 1]) >= 3, 30)
        without = sorted({int(l["round"]) for l in c.lines(0, "round_end")
                          if int(l["round"]) > killed_in + 1})
        c.start(victim, trace_suffix="-last")
        c.wait_done(90)
        wait_for("every crossing in the table",
                 lambda: table_rows(c) >= len({(int(l["round"]), k) for k in range(1, c.cars + 1)
                                               for l in c.lines(k, "crossing")}), 20)
        c.stop_all()
        crossed = {int(l["round"]) for l in c.lines(victim, "crossing")}
        missed = sorted(set(range(1, c.rounds + 1)) - crossed)
        if not missed:
            fail("car %d crossed in every round; it was never taken out" % victim)
        print("ok: %d rounds ended while car %d was dead; it crossed in %d rounds, missed %s" %
              (len(without), victim, len(crossed), missed), flush=True)
        check_invariants(c, away=(victim,))
    finally:
        c.kill_all()


def scenario_dead_car_in_box(args, tmp):
    c = Cluster(args.build, tmp, rounds=8, cross_ms=300)
    victim = 2
    try:
        c.start_all()
        # Killed in the box: it was granted its round, so it may have
        # crossed as far as the light knows; the round waits for it
        # (light.c, "absent cars"), and the restarted car drives out.
        kill_on(c, victim, "enter", 3)
        r = max(int(l["round"]) for l in c.lines(victim, "enter"))
        print("killed car %d with SIGKILL in the box in round %d" % (victim, r), flush=True)
        awaited = wait_for("the light to await car %d" % victim,
                           lambda: [l for l in c.lines(0, "car_awaited") if int(l["car"]) == victim], 15)
        if int(awaited[0]["round"]) != r or c.lines(0, "car_left"):
            fail("light: %s, car_left %s; expected car %d awaited in round %d" %
                 (awaited, c.lines(0, "car_left"), victim, r))
        time.sleep(1.0)
        if any(int(l["round"]) >= r for l in c.lines(0, "round_end")):
            fail("round %d ended while car %d was dead in the box" % (r, victim))
        print("ok: car %d awaited in round %d; no round ended without it" % (victim, r), flush=True)
        c.start(victim, trace_suffix="-2")
        c.wait_done(60)
        wait_for("every crossing in the table", lambda: table_rows(c) >= c.cars * c.rounds, 20)
        c.stop_all()
        if table_rows(c) != c.cars * c.rounds:
            fail("table holds %d rows, expected %d" % (table_rows(c), c.cars * c.rounds))
        print("ok: the restarted car drove out; %d rows, every car in every round" %
              table_rows(c), flush=True)
        check_invariants(c)
    finally:
        c.kill_all()


class Netns:
    """Five network namespaces on one bridge: xr-<pid>-hub holds the bridge,
    xr-<pid>-nI holds node I at 10.231.0.(10+I)/24 (addresses that exist
    only inside these namespaces)."""

    def __init__(self, n):
        self.tag = "xr%d" % (os.getpid() % 100000)
        self.n, self.made = n, []

    def ns(self, i):
        return "%s-n%d" % (self.tag, i)

    def host(self, i):
        return "10.231.0.%d" % (10 + i)

    def sh(self, *cmd):
        r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            raise OSError("%s: %s" % (" ".join(cmd), r.stderr.strip()))

    def build(self):
        hub = self.tag + "-hub"
        self.sh("ip", "netns", "add", hub)
        self.made.append(hub)
        self.sh("ip", "-n", hub, "link", "add", "br0", "type", "bridge")
        self.sh("ip", "-n", hub, "link", "set", "br0", "up")
        for i in range(self.n):
            ns = self.ns(i)
            self.sh("ip", "netns", "add", ns)
            self.made.append(ns)
            self.sh("ip", "-n", ns, "link", "set", "lo", "up")
            self.sh("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "p%d" % i,
                    "netns", hub)
            self.sh("ip", "-n", ns, "addr", "add", self.host(i) + "/24", "dev", "eth0")
            self.sh("ip", "-n", ns, "link", "set", "eth0", "up")
            self.sh("ip", "-n", hub, "link", "set", "p%d" % i, "master", "br0")
            self.sh("ip", "-n", hub, "link", "set", "p%d" % i, "up")

    def link(self, i, up):
        self.sh("ip", "-n", self.tag + "-hub", "link", "set", "p%d" % i, "up" if up else "down")

    def loss(self, i, on):
        if on:
            self.sh("ip", "netns", "exec", self.ns(i), "tc", "qdisc", "add", "dev", "eth0", "root",
                    "netem", "loss", "100%")
        else:
            self.sh("ip", "netns", "exec", self.ns(i), "tc", "qdisc", "del", "dev", "eth0", "root")

    def destroy(self):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


def netns_cluster(args, tmp, rounds):
    """Five namespaces on a bridge, one node each over tcp (Netns); exits 77
    (skipped) where namespaces cannot be made."""
    net = Netns(5)
    try:
        if os.geteuid() != 0:
            raise OSError("not root")
        net.build()
    except (OSError, subprocess.SubprocessError) as e:
        net.destroy()
        print("SKIP: cannot build network namespaces here (%s)" % e, flush=True)
        raise SystemExit(77)
    c = Cluster(args.build, tmp, rounds=rounds, cross_ms=120, transport="tcp",
                hosts=[net.host(i) for i in range(5)],
                prefix=lambda i: ["ip", "netns", "exec", net.ns(i)])
    c.env["XROAD_EMBEDDED_VISIBILITY_MS"] = "3000"
    return net, c


def scenario_netns_partition(args, tmp):
    net, c = netns_cluster(args, tmp, 60)
    victim = 3
    try:
        c.start_all()

        def ends():
            return {int(l["round"]) for l in c.lines(0, "round_end")}

        def cut(how, on):
            if how == "link":
                net.link(victim, not on)
            else:
                net.loss(victim, on)

        # tc netem needs the kernel's sch_netem; where it is missing (some
        # containers) the loss cut is skipped, and the output says so.
        hows = ["link"]
        try:
            net.loss(0, True)
            net.loss(0, False)
            hows.append("loss")
        except OSError as e:
            print("SKIP part: tc netem unavailable (%s); only the link cut runs" % e, flush=True)
        def absent_lines():
            # In the order the light logged them: a new car_left must not
            # sort before an older car_awaited (the test then took the old
            # line for the new one and failed "granted at each of 5 cuts").
            return [l for l in c.lines(0) if l.get("event") in ("car_left", "car_awaited")
                    and int(l["car"]) == victim]

        for how in hows:
            # Cut as soon as a round has ended (every car holds its log, so
            # no crossing report waits for an entry the car could miss):
            # the car is then usually not granted its next round yet, and
            # the light takes it out. Should it be granted all the same,
            # the round waits for it (car_awaited): heal, let it cross, cut
            # again.
            for attempt in range(5):
                start = max(ends() | {0})
                wait_for("round %d" % (start + 3), lambda: max(ends() | {0}) >= start + 3,
                         60, poll=0.002)
                cut(how, True)
                t_cut = time.time()
                before = len(absent_lines())
                found = wait_for("the light to find car %d absent (%s)" % (victim, how),
                                 lambda: absent_lines()[before:], 15)
                if found[0]["event"] == "car_left":
                    break
                print("note: car %d was granted its round before the cut; heal and cut again" %
                      victim, flush=True)
                cut(how, False)
                wait_for("car %d to cross round %s" % (victim, found[0]["round"]),
                         lambda: any(int(l["round"]) >= int(found[0]["round"])
                                     for l in c.lines(victim, "crossing")), 30)
            else:
                fail("car %d was granted its round at each of 5 cuts" % victim)
            cut_at = max(ends() | {0})
            wait_for("2 rounds to end without car %d" % victim,
                     lambda: max(ends() | {0}) >= cut_at + 2, 30)
            cut(how, False)
            print("ok: %s cut: car %d taken out after %.1fs, rounds %d-%d ended without it" %
                  (how, victim, time.time() - t_cut, cut_at + 1, max(ends())), flush=True)
            healed_at = max(ends())
            wait_for("car %d to cross again after the heal" % victim,
                     lambda: any(int(l["round"]) > healed_at for l in c.lines(victim, "crossing")), 30)
            print("ok: car %d rejoined and crossed again" % victim, flush=True)
        c.wait_done(120)
        wait_for("every crossing in the table",
                 lambda: table_rows(c) >= len({(int(l["round"]), k) for k in range(1, c.cars + 1)
                                               for l in c.lines(k, "crossing")}), 20)
        c.stop_all()
        check_invariants(c, away=(victim,))
    finally:
        c.kill_all()
        net.destroy()


def scenario_netns_cut_after_crossing(args, tmp):
    """A car cut off right after it crossed, before its round ended: the
    round ends without it (its crossing logged or its car awaited), so it
    never sees that round's end and must fetch the round's log to learn its
    crossing's index (LogFetch, car.c); every crossing must reach the table.
    This was docs/FAILURES.md's known gap."""
    net, c = netns_cluster(args, tmp, 40)
    victim = 3
    fetched = []
    try:
        c.start_all()
        for attempt in range(4):
            seen = len(c.lines(victim, "crossing"))
            crossed = wait_for("car %d to cross" % victim,
                               lambda: c.lines(victim, "crossing")[seen:], 60, poll=0.002)
            net.link(victim, False)
            r = int(crossed[0]["round"])
            # The cut may also beat the car's Crossed to the light: then
            # the light cannot tell a crossing from a car still in the box,
            # awaits it (car_awaited, docs/FAILURES.md) and the round ends
            # only after the heal. Not this test's case: heal and try again.
            wait_for("round %d to end without car %d, or the light to await it" % (r, victim),
                     lambda: any(int(l["round"]) >= r for l in c.lines(0, "round_end")) or
                     any(int(l["round"]) == r and int(l["car"]) == victim
                         for l in c.lines(0, "car_awaited")), 15)
            net.link(victim, True)
            if not any(int(l["round"]) >= r for l in c.lines(0, "round_end")):
                print("cut %d: car %d's Crossed of round %d was cut too: the light awaits it; "
                      "healed, trying again" % (attempt + 1, victim, r), flush=True)
                wait_for("round %d to end after the heal" % r,
                         lambda: any(int(l["round"]) >= r for l in c.lines(0, "round_end")), 30)
                continue
            wait_for("car %d to cross after the heal" % victim,
                     lambda: any(int(l["round"]) > r for l in c.lines(victim, "crossing")), 30)
            fetched = [l for i in range(c.cars + 1) for l in c.lines(i, "log_fetch")
                       if int(l["for"]) == victim]
            print("cut %d: car %d cut right after crossing round %d; %d LogFetch answers "
                  "for it so far" % (attempt + 1, victim, r, len(fetched)), flush=True)
            if fetched:
                break
        c.wait_done(120)
        want = len({(int(l["round"]), k) for k in range(1, c.cars + 1)
                    for l in c.lines(k, "crossing")})
        wait_for("every crossing in the table (%d)" % want, lambda: table_rows(c) >= want, 20)
        c.stop_all()
        if not fetched:
            print("note: the cut never beat the round's end to car %d (no fetch needed)" % victim,
                  flush=True)
        check_invariants(c, away=(victim,))
    finally:
        c.kill_all()
        net.destroy()


def scenario_config_drift(args, tmp):
    """Car 2 started with another seed (config drift): every node's
    messages carry its settings' fingerprint, so each side refuses the
    other's with one line naming both fingerprints (the car: rejected
    what=config; the light: config_mismatch from its refused Deliver), the
    light takes the car out as silent and the others go on, and `xroadctl
    status` names the odd node. Before the fingerprint, the rounds went on
    with two seeds and nobody said a word."""
    victim = 2
    c = Cluster(args.build, tmp, rounds=200, cross_ms=10)
    other = os.path.join(tmp, "other.conf")
    with open(c.conf) as f:
        text = f.read()
    with open(other, "w") as f:
        f.write(text.replace("seed = 7", "seed = 8"))
    try:
        for i in range(1, c.cars + 1):
            if i != victim:
                c.start(i)
        # The odd car: same node list, another seed.
        err = open(c.log(victim), "a")
        c.procs[victim] = subprocess.Popen(
            [os.path.join(c.build, "xroad"), "--config", other, "--id", str(victim)],
            stderr=err, stdout=err, env=c.env)
        c.start(0)
        refused = wait_for("car %d to refuse the light's messages" % victim,
                           lambda: [l for l in c.lines(victim, "rejected")
                                    if l.get("what") == "config"], 15)
        mismatch = wait_for("the light to say its messages to car %d were refused" % victim,
                            lambda: c.lines(0, "config_mismatch"), 15)
        for l in (refused[0], mismatch[0]):
            if "another configuration" not in l.get("why", ""):
                fail("refusal without its reason: %s" % l)
        print("ok: car %d: %s" % (victim, refused[0]["why"]), flush=True)
        print("ok: light: %s" % mismatch[0]["why"], flush=True)
        wait_for("3 rounds to end without car %d" % victim,
                 lambda: len(c.lines(0, "round_end")) >= 3, 30)
        out = ctl(c.build, "--config", c.conf, "status").stdout
        if "config: node %d runs another configuration" % victim not in out:
            fail("status does not name car %d:\n%s" % (victim, out))
        print("ok: status names car %d" % victim, flush=True)
        if any(int(l["car"]) == victim for l in c.lines(0, "crossing")):
            fail("car %d crossed with another configuration" % victim)
    finally:
        c.kill_all()


def scenario_disk_full(args, tmp):
    """A car whose crossing log sits on a full file system: its first
    durable write fails, it says so in one line, sends nothing of that step
    and stops with exit 1; the others go on without it (node.h: durable
    state before any message)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("skip: needs root and unshare for a mount namespace", flush=True)
        raise SystemExit(77)
    victim = 2
    full = os.path.join(tmp, "full")
    os.makedirs(full)
    # The car alone sees a full tmpfs file bound over its log file.
    script = ("mount -t tmpfs -o size=64k tmpfs {f} && : > {f}/log && "
              "(dd if=/dev/zero of={f}/fill bs=4k 2>/dev/null; true) && "
              "mount --bind {f}/log {log} && exec \"$@\"")
    c = Cluster(args.build, tmp, rounds=12, cross_ms=10)
    os.makedirs(c.state, exist_ok=True)
    log = os.path.join(c.state, "node-%d.log" % victim)
    open(log, "w").close()
    c.prefix = lambda i: (["unshare", "-m", "sh", "-c",
                           script.format(f=full, log=log), "sh"] if i == victim else [])
    try:
        c.start_all()
        rc = c.procs[victim].wait(30)
        failed = c.lines(victim, "durable_write_failed")
        if rc != 1 or len(failed) != 1:
            fail("car %d: exit %s, %d durable_write_failed lines; log tail:\n%s" %
                 (victim, rc, len(failed), tail(c.log(victim))))
        print("ok: car %d stopped with exit 1: %s" % (victim, failed[0].get("why")), flush=True)
        del c.procs[victim]  # gone on purpose: wait_done must not fail on it
        c.wait_done(60)
        c.stop_all()
        check_invariants(c, away=(victim,))
    finally:
        c.kill_all()


def send_frame(addr, data, tmp, proto="--req"):
    path = os.path.join(tmp, "payload.bin")
    with open(path, "wb") as f:
        f.write(data)
    cmd = ["nngcat", proto, "--dial", addr, "--file", path, "--quoted"]
    if proto == "--req":
        # nngcat 1.5.2 waits for the reply for (interval - time the send
        # took), interval 0 unless given: a send of 2 ms or more made that
        # negative, "Cannot set recv timeout: Invalid argument" and no
        # reply printed (1 request in 10 here; the "no reply" failures of
        # integration_garbage and integration_forged_epoch, docs/
        # FAILURES.md). An interval, capped by the receive timeout, ends it.
        cmd += ["--count", "1", "--interval", "10", "--recv-timeout", "5"]
    else:
        cmd += ["--recv-timeout", "2"]
    r = subprocess.run(cmd, capture_output=True, timeout=20)
    return r.stdout


def wave_addr(addr):
    if addr.startswith("ipc://"):
        return addr + ".wave"
    host, port = addr.rsplit(":", 1)
    return "%s:%d" % (host, int(port) + 1)


def scenario_garbage(args, tmp):
    if shutil.which("nngcat") is None:
        fail("nngcat is missing (tools/install-deps installs nng-utils)")
    c = Cluster(args.build, tmp, rounds=15, cross_ms=20, transport="tcp")
    try:
        c.start_all()
        target = 0
        # Frames: garbage, an oversized Deliver, a Deliver whose Envelope
        # does not decode, an Envelope from a node that is not in the cluster,
        # and an unknown method.
        unknown_sender = bytes([0x08, 17, 0x5a, 0x02, 0x08, 0x01])  # from=17, crossed{round=1}
        frames = [
            b"this is not an xroad frame",
            b"XR\x01\x00" + b"\x0a" * (100 * 1024),
            b"XR\x01\x00" + b"\xff\xff\xff\xff\x0f\x01\x02",
            b"XR\x01\x00" + unknown_sender,
            b"XR\x01\x09",
        ]
        end = time.time() + 20
        while time.time() < end and not c.lines(target, "round_start"):
            time.sleep(0.05)
        for k, fr in enumerate(frames):
            for attempt in range(5):
                reply = send_frame(c.addr[target], fr, tmp)
                if reply:
                    break
                time.sleep(0.2)
            # Every frame gets an answer: an error frame (byte 2 = 0xEE) or
            # a DeliverReply with accepted = false.
            if not reply:
                fail("frame %d got no reply" % k)
        # The wave endpoint: a respondent that is not a neighbour may dial a
        # surveyor, but what it answers must be addressed and well formed.
        send_frame(wave_addr(c.addr[target]), b"garbage on the wave port", tmp,
                   proto="--respondent")
        c.wait_done(90)
        rejected = c.lines(target, "rejected")
        whats = sorted({l["what"] for l in rejected})
        if len(rejected) < 4 or not {"malformed", "toobig", "sender"} <= set(whats):
            fail("expected rejections malformed, toobig and sender on node %d; got %s\n%s" %
                 (target, whats, tail(c.log(target))))
        c.stop_all()
        stats = c.lines(target, "net_stats")[-1]
        print("rejected on node %d: %d lines, kinds %s; net_stats %s" %
              (target, len(rejected), whats,
               {k: stats[k] for k in stats if k.startswith("rejected")}), flush=True)
        check_invariants(c)
    finally:
        c.kill_all()


def raw_connect(addr):
    """A plain socket to an nng listener (ipc:// path or tcp://host:port)."""
    import socket
    if addr.startswith("ipc://"):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(2)
        s.connect(addr[len("ipc://"):])
    else:
        host, port = addr[len("tcp://"):].rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=2)
    return s


def stray_connections(addr, held):
    """What a port scanner, a confused client or nng's own stale-socket check
    does to a listener: connect and close at once (3 times), close after
    half of the SP header, close after a header of another protocol, and one
    connection left open without a word (appended to `held`)."""
    for _ in range(3):
        raw_connect(addr).close()
    s = raw_connect(addr)
    s.sendall(b"\x00SP\x00")
    s.close()
    s = raw_connect(addr)
    s.sendall(b"\x00SP\x00\x00\x10\x00\x00")  # pair0: not a peer of rep or surveyor
    s.close()
    held.append(raw_connect(addr))


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def stray_phase(args, tmp, transport):
    """Stray connections on every listener of every node, a second node with
    a running node's id, then restarts that must open new connections to
    every listener: the light (it dials every car's request and wave
    endpoints) and car 1 (it dials the light's). The run must complete."""
    # About 0.2 s a round: the run outlasts the strays, the checks and the
    # restarts, with rounds left to run after them.
    c = Cluster(args.build, tmp, rounds=70, cross_ms=40, transport=transport)
    # The killed light's queue messages come back after the visibility
    # timeout (as in kill9_light): shortened to keep the test short.
    c.env["XROAD_EMBEDDED_VISIBILITY_MS"] = "3000"
    held = []
    t0 = time.time()
    try:
        c.start_all()
        wait_for("round 3", lambda: any(int(l["round"]) >= 3 for l in c.lines(0, "round_start")), 30)
        for i in range(c.cars + 1):
            for addr in (c.addr[i], wave_addr(c.addr[i])):
                stray_connections(addr, held)
        # A second node 1: its listen fails ("Address in use"); for ipc,
        # nng first connects to the path to see whether it is stale.
        dup = subprocess.run([os.path.join(c.build, "xroad"), "--config", c.conf, "--id", "1"],
                             capture_output=True, text=True, timeout=20)
        if dup.returncode == 0 or "in use" not in dup.stderr:
            fail("a second node 1 exited with %d, expected a refusal naming 'in use':\n%s" %
                 (dup.returncode, dup.stderr[-500:]))
        print("%s: %d stray connections on %d listeners, %d held open; second node 1 refused: %s" %
              (transport, 6 * 2 * (c.cars + 1), 2 * (c.cars + 1), len(held),
               dup.stderr.strip().splitlines()[-1][:160]), flush=True)
        # Every node answers a new client (xroadctl dials every request
        # endpoint afresh); the ipc guard needs up to 3 s to find a deaf
        # listener, a few tries are allowed.
        def all_reach():
            st = ctl_status(c)
            return st if all(st[i].get("reachable") for i in range(c.cars + 1)) else None
        wait_for("every node to answer xroadctl status after the stray connections", all_reach, 10,
                 poll=0.5)
        # nng's poll thread spun on a deaf ipc listener (a full core): each
        # node must use less than half a core over 2 s.
        before = {i: cpu_ticks(c.procs[i].pid) for i in range(c.cars + 1)}
        time.sleep(2.0)
        hz = os.sysconf("SC_CLK_TCK")
        busy = {i: (cpu_ticks(c.procs[i].pid) - before[i]) / hz / 2.0 for i in range(c.cars + 1)}
        if max(busy.values()) > 0.5:
            fail("%s: a node spins after the stray connections: cpu share per node %s" %
                 (transport, {i: round(v, 2) for i, v in busy.items()}))
        # Restarts: new connections to every listener.
        ended = len(c.lines(0, "round_end"))
        if c.lines(0, "done"):
            fail("%s: the run ended before the restarts; make it longer" % transport)
        for victim in (0, 1):
            c.procs[victim].kill()
            c.procs[victim].wait()
            c.start(victim)
        c.wait_done(60)
        after = len(c.lines(0, "round_end")) - ended
        if after < 3:
            fail("%s: only %d rounds ended after the restarts" % (transport, after))
        wait_for("every crossing in the table", lambda: table_rows(c) >= len(
            {(int(l["round"]), k) for k in range(1, c.cars + 1) for l in c.lines(k, "crossing")}), 20)
        deaf = [l for i in range(c.cars + 1) for l in c.lines(i, "listener_deaf")]
        for s in held:
            s.close()
        t_stop = time.time()
        c.stop_all()
        print("%s: run done (%d rounds ended after the restarts), %d listeners re-created, stopped in %.1fs, phase %.1fs" %
              (transport, after, len(deaf), time.time() - t_stop, time.time() - t0), flush=True)
        check_invariants(c, away=(0, 1))
    finally:
        for s in held:
            s.close()
        c.kill_all()


def scenario_stray(args, tmp):
    for transport in ("ipc", "tcp"):
        sub = os.path.join(tmp, transport)
        os.mkdir(sub)
        stray_phase(args, sub, transport)


def varint(v):
    out = b""
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def envelope(frm, epoch, body):
    """An Envelope (proto/xroad.proto) by hand: from, to = 0 (left out),
    epoch, then `body` (already tagged)."""
    return b"\x08" + varint(frm) + b"\x18" + varint(epoch) + body


def read_exact(s, n):
    """n bytes from socket s, or OSError when it closes first."""
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("closed")
        buf += chunk
    return buf


def sp_req_flood(addr, payload, count):
    """Sends `payload` `count` times as an SP req0 client over tcp (the SP
    header, then 8-byte big-endian lengths; a request carries a 4-byte id
    with the high bit set) and reads each reply. Returns the replies read."""
    import socket
    import struct
    s = raw_connect(addr)
    s.settimeout(5)
    s.sendall(b"\x00SP\x00\x00\x30\x00\x00")  # req0 = 0x30

    def read(n):
        return read_exact(s, n)
    read(8)  # the node's header (rep0)
    got = 0
    try:
        for k in range(count):
            body = struct.pack(">I", 0x80000000 | (k + 1)) + payload
            s.sendall(struct.pack(">Q", len(body)) + body)
            n = struct.unpack(">Q", read(8))[0]
            read(n)
            got += 1
    finally:
        s.close()
    return got


def fake_rep(addr, replies, stop):
    """An impostor's request endpoint on tcp: answers the n-th request of
    each connection with replies[min(n, len - 1)] (a DeliverReply body, after
    the frame header "XR" 1 0), over raw SP (rep0 = 0x31)."""
    import socket
    import struct
    host, port = addr[len("tcp://"):].rsplit(":", 1)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(4)
    ls.settimeout(0.2)
    read = read_exact

    def serve(s):
        s.settimeout(1)
        try:
            read(s, 8)
            s.sendall(b"\x00SP\x00\x00\x31\x00\x00")
            k = 0
            while not stop.is_set():
                try:
                    (n,) = struct.unpack(">Q", read(s, 8))
                except socket.timeout:
                    continue
                req = read(s, n)
                body = b"XR\x01\x00" + replies[min(k, len(replies) - 1)]
                out = req[:4] + body  # the request id, then our answer
                s.sendall(struct.pack(">Q", len(out)) + out)
                k += 1
        except OSError:
            pass
        finally:
            s.close()

    while not stop.is_set():
        try:
            s, _ = ls.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(s,), daemon=True).start()
    ls.close()


def scenario_forged_reply(args, tmp):
    c = Cluster(args.build, tmp, rounds=30, cross_ms=20, transport="tcp")
    crossed_from_3 = envelope(3, 1, b"\x5a\x02\x08\x01")  # Crossed{round=1}

    def carried(envs):
        out = b"\x08\x01"  # accepted = true
        for e in envs:
            out += b"\x1a" + varint(len(e)) + e
        return out
    replies = [carried([crossed_from_3]), carried([crossed_from_3] * 9), b"\x08\x01"]
    stop = threading.Event()
    t = threading.Thread(target=fake_rep, args=(c.addr[4], replies, stop), daemon=True)
    try:
        t.start()
        for i in (1, 2, 3):
            c.start(i)
        c.start(0)
        sender = wait_for("the light to refuse the Crossed carried for node 3",
                          lambda: [l for l in c.lines(0, "rejected") if l.get("what") == "sender"
                                   and "carried by the reply of node 4" in l.get("why", "")], 30)
        many = wait_for("the light to refuse the reply carrying 9",
                        lambda: [l for l in c.lines(0, "rejected") if l.get("what") == "malformed"
                                 and "reply of node 4" in l.get("where", "")], 30)
        print("refused: %s | %s (%s)" % (sender[0]["why"], many[0]["why"], many[0]["where"]),
              flush=True)
        c.wait_done(90)
        c.stop_all()
        stats = c.lines(0, "net_stats")[-1]
        if int(stats["carried"]) == 0:
            fail("the light's net_stats carried=0: no grant or notice rode a reply")
        print("ok: the light ended its run without node 4; net_stats carried=%s received=%s "
              "sent=%s" % (stats["carried"], stats["received"], stats["sent"]), flush=True)
    finally:
        stop.set()
        c.kill_all()


def scenario_forged_epoch(args, tmp):
    """Forged epochs to the light: Election, Coordinator and Heartbeat from
    "node 4" at epoch 4294967295 (above the ceiling: the next epoch wrapped
    to 0 and the light looped deposed/coordinator at 22,000 lines a
    second), and an Election 70,000 above the light's epoch (an implausible
    jump). Each is refused and counted with its reason; the light stays
    coordinator at its epoch, the rounds go on, and its log stays small.
    Then a burst of 1,500 garbage frames: at most XROAD_LOG_RATE `rejected`
    lines a second are written, the rest summed up in `log_suppressed`
    lines, and written + suppressed = what net_stats counted."""
    if shutil.which("nngcat") is None:
        fail("nngcat is missing (tools/install-deps installs nng-utils)")
    c = Cluster(args.build, tmp, rounds=40, cross_ms=40, transport="tcp")
    try:
        c.start_all()
        wait_for("round 3", lambda: any(int(l["round"]) >= 3 for l in c.lines(0, "round_start")), 30)
        epoch = ctl_status(c)[0]["epoch"]
        forged = [
            ("Election at 2^32-1", envelope(4, 0xffffffff, b"\xb2\x01\x00")),
            ("Coordinator at 2^32-1", envelope(4, 0xffffffff, b"\xc2\x01\x02\x08\x04")),
            ("Heartbeat at 2^32-1", envelope(4, 0xffffffff, b"\xaa\x01\x00")),
            ("Election 70000 above", envelope(4, epoch + 70000, b"\xb2\x01\x00")),
        ]
        size0 = os.path.getsize(c.log(0))
        for name, env in forged:
            for attempt in range(3):  # nngcat now and then prints no reply
                reply = send_frame(c.addr[0], b"XR\x01\x00" + env, tmp)
                if reply:
                    break
            if not reply:
                fail("forged %s: no reply" % name)
        rej = c.lines(0, "rejected")
        ceiling = [l for l in rej if "ceiling" in l.get("why", "")]
        jump = [l for l in rej if l.get("what") == "epoch"]
        if len(ceiling) < 3 or len(jump) < 1:
            fail("expected 3 rejections above the ceiling and 1 epoch jump on the light, got %d and %d:\n%s"
                 % (len(ceiling), len(jump), "\n".join(str(l) for l in rej)))
        print("refused: %s | %s" % (ceiling[0]["why"], jump[0]["why"]), flush=True)
        ended = len(c.lines(0, "round_end"))
        wait_for("3 more rounds", lambda: len(c.lines(0, "round_end")) >= ended + 3, 20)
        st = ctl_status(c)
        if st[0]["epoch"] != epoch or st[0]["coordinator"] != 0 or c.lines(0, "deposed"):
            fail("the light's epoch moved (%s -> %s) or it was deposed" % (epoch, st[0]["epoch"]))
        grew = os.path.getsize(c.log(0)) - size0
        # About 150 bytes a line; a round is a handful of lines.
        if grew > 64 * 1024:
            fail("the light's log grew by %d bytes in %d rounds after the forged messages" %
                 (grew, len(c.lines(0, "round_end")) - ended + 3))
        # A flood of garbage: the rate limit of log.c. Over one SP req
        # connection of our own (nngcat --count stops early now and then).
        t = time.time()
        answered = sp_req_flood(c.addr[0], b"garbage", 1500)
        if answered != 1500:
            fail("garbage burst: %d of 1500 requests answered" % answered)
        burst = time.time() - t
        c.wait_done(60)
        c.stop_all()
        lines = [l for l in c.lines(0, "rejected") if "garbage" not in l.get("why", "")
                 and l.get("what") == "malformed" and "not an xroad" in l.get("why", "")]
        supp = [l for l in c.lines(0, "log_suppressed") if l.get("what") == "rejected"]
        suppressed = sum(int(l["repeated"]) for l in supp)
        stats = c.lines(0, "net_stats")[-1]
        counted = int(stats["rejected_malformed"])
        written = len(c.lines(0, "rejected"))
        print("garbage burst of 1500 in %.1fs: %d rejected lines written, %d suppressed in %d summaries, "
              "net_stats rejected_malformed=%d; the light's log: %d bytes" %
              (burst, written, suppressed, len(supp), counted, os.path.getsize(c.log(0))), flush=True)
        if not supp or written + suppressed != counted:
            fail("written %d + suppressed %d != counted %d (or nothing suppressed)" %
                 (written, suppressed, counted))
        if len(lines) > 200 * (burst + 2):
            fail("%d garbage lines written in %.1fs: more than 200 a second" % (len(lines), burst))
        check_invariants(c)
    finally:
        c.kill_all()


def ctl(build, *argv, timeout=30):
    return subprocess.run([os.path.join(build, "xroadctl")] + list(argv), capture_output=True,
                          text=True, timeout=timeout)


def tls_counts(c, build):
    """{node id: (rejected_tls, tls_dial_failed)} from `xroadctl status --json`."""
    r = ctl(build, "--config", c.conf, "status", "--json")
    if r.returncode != 0:
        fail("xroadctl status with the ctl certificate: exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    nodes = json.loads(r.stdout)["nodes"]
    if not all(n["reachable"] for n in nodes):
        fail("a node is unreachable over TLS: %s" % r.stdout)
    return {n["id"]: (n["rejected_tls"], n["tls_dial_failed"]) for n in nodes}


def scenario_tls(args, tmp):
    if shutil.which("nngcat") is None:
        fail("nngcat is missing (tools/install-deps installs nng-utils)")
    # Every connection starts with a handshake (two P-256 signatures and
    # three verifications a side), so five nodes dialing each other on two
    # shared cores take a while before the first round moves, longer in a
    # sanitizer build. fail_ms = 3000 keeps
    # that start from looking like a dead light; failover is not what this
    # test is about (docs/NET.md, "TLS", cost).
    c = Cluster(args.build, tmp, rounds=15, cross_ms=20, transport="tls", topology="star",
                settings=["fail_ms = 3000"])
    # A foreign CA's certificates, with the very names the cluster's carry:
    # what a rogue holds when it copied everything but the cluster's CA key.
    rogue = os.path.join(tmp, "rogue")
    gen_certs(["--nodes", "5", "--out", rogue])
    certs = os.path.join(tmp, "certs")
    target = 0
    addr = c.addr[target]
    try:
        c.start_all()
        # Every node listening (its `started` line) and the light running:
        # a car still loading its TLS material answers no status yet (3 of
        # 50 tools/it-loop runs under load asked too early).
        end = time.time() + 20
        while time.time() < end and not (
                c.lines(target, "round_start") and
                all(c.lines(i, "started") for i in range(c.cars + 1))):
            time.sleep(0.05)
        before = tls_counts(c, args.build)
        if any(v != (0, 0) for v in before.values()):
            fail("TLS failures before any rogue came: %s" % before)
        print("ok: xroadctl status over TLS with ctl.crt: 5 nodes reachable", flush=True)

        deliver = b"XR\x01\x00" + bytes([0x08, 1, 0x5a, 0x02, 0x08, 0x01])  # from=1, crossed{round=1}
        payload = os.path.join(tmp, "deliver.bin")
        with open(payload, "wb") as f:
            f.write(deliver)
        status = os.path.join(tmp, "status.bin")
        with open(status, "wb") as f:
            f.write(b"XR\x01\x01")
        # (what, argv, listener: 0 requests / 1 waves). nngcat dials once
        # and gives up on a failed handshake. --insecure: the rogue does not
        # care who the node is; refusing is the node's job.
        rogue_cert = ["--cert", os.path.join(rogue, "node-1.crt"), "--key", os.path.join(rogue, "node-1.key")]
        attempts = [
            ("Deliver with a foreign CA's certificate",
             ["nngcat", "--req", "--dial", addr, "--insecure"] + rogue_cert + ["--file", payload, "--count", "1", "--quoted"], 0),
            ("Status without a certificate",
             ["nngcat", "--req", "--dial", addr, "--insecure", "--file", status, "--count", "1", "--quoted"], 0),
            ("Status in plain tcp",
             ["nngcat", "--req", "--dial", addr.replace("tls+tcp://", "tcp://"), "--file", status,
              "--count", "1", "--quoted", "--recv-timeout", "2"], 0),
            ("a respondent with a foreign CA's certificate on the wave port",
             ["nngcat", "--respondent", "--dial", wave_addr(addr), "--insecure"] + rogue_cert +
             ["--data", "garbage", "--recv-timeout", "2"], 1),
        ]
        want = [0, 0]
        for what, argv, listener in attempts:
            r = subprocess.run(argv, capture_output=True, timeout=30)
            if r.returncode == 0 or r.stdout:
                fail("%s: not refused (exit %d, reply %r)" % (what, r.returncode, r.stdout[:80]))
            want[listener] += 1
            print("ok: refused: %s (%s)" % (what, r.stderr.decode(errors="replace").strip()), flush=True)
            # nng stops accepting for 100 ms after a "Cryptographic error"
            # and does not report what fails meanwhile (docs/NET.md, "TLS"):
            # space the attempts so that each one is counted.
            time.sleep(0.4)

        # xroadctl itself: a foreign xroadctl (its CA and certificate) is
        # refused by the node; a plain one too; both say why.
        r = ctl(args.build, "--node", addr, "--ca", os.path.join(rogue, "ca.crt"),
                "--cert", os.path.join(rogue, "ctl.crt"), "--key", os.path.join(rogue, "ctl.key"), "status")
        if r.returncode != 1 or "TLS handshake failed" not in r.stdout + r.stderr:
            fail("foreign xroadctl: exit %d, %r" % (r.returncode, (r.stdout + r.stderr)[-400:]))
        want[0] += 1
        time.sleep(0.4)
        r = ctl(args.build, "--node", addr.replace("tls+tcp://", "tcp://"), "status")
        if r.returncode != 1 or "reach" not in r.stdout or "NO" not in r.stdout:
            fail("plain xroadctl on a TLS node: exit %d, %r" % (r.returncode, (r.stdout + r.stderr)[-400:]))
        want[0] += 1
        time.sleep(0.4)
        print("ok: refused: xroadctl with a foreign CA and certificate; xroadctl in plain tcp", flush=True)

        # Refused before anything is sent: no certificate, a certificate the
        # cluster's CA did not sign, half a pair, TLS options on a plain node.
        local = [
            (["--node", addr, "status"], 2, "give the cluster CA with --ca FILE"),
            (["--config", c.conf, "--cert", os.path.join(rogue, "ctl.crt"), "--key",
              os.path.join(rogue, "ctl.key"), "status"], 1, "ctl.crt: not signed by the CA in"),
            (["--config", c.conf, "--cert", os.path.join(tmp, "none.crt"), "--key",
              os.path.join(tmp, "none.key"), "status"], 1, "none.crt: No such file or directory"),
            (["--config", c.conf, "--cert", os.path.join(certs, "ctl.crt"), "status"], 2,
             "--cert and --key go together"),
            (["--node", "tcp://127.0.0.1:1", "--ca", os.path.join(certs, "ca.crt"), "status"], 2,
             "no tls+tcp:// address"),
        ]
        for argv, rc, msg in local:
            r = ctl(args.build, *argv)
            if r.returncode != rc or msg not in r.stderr:
                fail("xroadctl %s: exit %d, stderr %r; expected exit %d and %r" %
                     (" ".join(argv), r.returncode, r.stderr.strip()[-300:], rc, msg))
        print("ok: xroadctl refuses to start without a certificate the CA signed (%d cases)" % len(local),
              flush=True)

        after = tls_counts(c, args.build)
        expect = {i: (sum(want) if i == target else 0, 0) for i in after}
        if after != expect:
            fail("TLS counters (rejected_tls, tls_dial_failed) by node: %s, expected %s" % (after, expect))
        print("ok: node %d counted %d refused handshakes (%d requests, %d waves); the other nodes none"
              % (target, sum(want), want[0], want[1]), flush=True)

        c.wait_done(90)
        c.stop_all()
        lines = c.lines(target, "rejected")
        by_where = {}
        for l in lines:
            if l.get("what") == "tls":
                by_where[l["where"]] = by_where.get(l["where"], 0) + int(l["count"])
        if by_where != {addr: want[0], wave_addr(addr): want[1]}:
            fail("rejected what=tls lines on node %d: %s, expected %s" %
                 (target, by_where, {addr: want[0], wave_addr(addr): want[1]}))
        for i in range(1, c.cars + 1):
            if any(l.get("what") == "tls" for l in c.lines(i, "rejected")) or c.lines(i, "tls_dial_failed"):
                fail("node %d logged TLS failures:\n%s" % (i, tail(c.log(i))))
        stats = c.lines(target, "net_stats")[-1]
        if int(stats["rejected_tls"]) != sum(want):
            fail("net_stats rejected_tls=%s, expected %d" % (stats["rejected_tls"], sum(want)))
        if not all(l.get("tls") == "on" for i in range(c.cars + 1) for l in c.lines(i, "started")):
            fail("a node did not start with tls=on")
        check_invariants(c)
    finally:
        c.kill_all()


def scenario_gencerts(args, tmp):
    """tools/gen-certs: what it writes, and that it never replaces a file
    it was not asked to replace."""
    import stat
    out = os.path.join(tmp, "certs")
    conf = os.path.join(tmp, "c.conf")
    with open(conf, "w") as f:
        f.write("run = t\nroutes = r.txt\ntls_ca = certs/ca.crt\n"
                "node 0 light - tls+tcp://127.0.0.1:7100  # the light\n"
                "node 1 car S tls+tcp://10.1.2.3:7100\n"
                "node 2 car E tls+tcp://node-2.example:7100\n")
    r = gen_certs(["--config", conf, "--out", out])
    files = sorted(os.listdir(out))
    want = sorted(["ca.crt", "ca.key", "ctl.crt", "ctl.key"] +
                  ["node-%d.%s" % (i, e) for i in range(3) for e in ("crt", "key")])
    if files != want:
        fail("gen-certs wrote %s, expected %s" % (files, want))
    for name in files:
        mode = stat.S_IMODE(os.stat(os.path.join(out, name)).st_mode)
        if mode != (0o600 if name.endswith(".key") else 0o644):
            fail("%s has mode %o" % (name, mode))
    if stat.S_IMODE(os.stat(out).st_mode) != 0o700:
        fail("%s is not 0700" % out)

    def text(name):
        return subprocess.run(["openssl", "x509", "-in", os.path.join(out, name), "-noout", "-text"],
                              capture_output=True, text=True, check=True).stdout
    for name, names in (("node-0.crt", ["DNS:xroad-node-0", "IP Address:127.0.0.1"]),
                        ("node-1.crt", ["DNS:xroad-node-1", "IP Address:10.1.2.3"]),
                        ("node-2.crt", ["DNS:xroad-node-2", "DNS:node-2.example"]),
                        ("ctl.crt", ["DNS:xroadctl"])):
        t = text(name)
        missing = [n for n in names if n not in t]
        if missing:
            fail("%s lacks %s" % (name, missing))
        usage = "TLS Web Server Authentication, TLS Web Client Authentication" if name != "ctl.crt" \
            else "TLS Web Client Authentication"
        if usage not in t:
            fail("%s: extended key usage is not %s" % (name, usage))
    v = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(out, "ca.crt")] +
                       [os.path.join(out, n) for n in files if n.endswith(".crt") and n != "ca.crt"],
                       capture_output=True, text=True)
    if v.returncode != 0:
        fail("openssl verify: %s" % (v.stdout + v.stderr))
    # The daemon accepts them: the check it runs at start, on every node.
    with open(os.path.join(tmp, "r.txt"), "w") as f:
        f.write("right 1\n")
    x = subprocess.run([os.path.join(args.build, "xroad"), "--check-config", "--config", conf],
                       capture_output=True, text=True, timeout=20)
    if x.returncode != 0 or "tls=on" not in x.stdout:
        fail("xroad --check-config on gen-certs' files: exit %d %s" % (x.returncode, x.stderr))

    digest = {n: open(os.path.join(out, n), "rb").read() for n in files}
    r = gen_certs(["--config", conf, "--out", out])
    if {n: open(os.path.join(out, n), "rb").read() for n in files} != digest or "wrote" in r.stdout:
        fail("a second run changed files:\n" + r.stdout)
    # A new node is issued by the same CA, the rest kept.
    with open(conf, "a") as f:
        f.write("node 3 car N tls+tcp://127.0.0.1:7110\n")
    r = gen_certs(["--config", conf, "--out", out])
    if "wrote %s/node-3.crt" % out not in r.stdout or r.stdout.count("wrote") != 1:
        fail("adding node 3:\n" + r.stdout)
    # A host that changed, a certificate of another CA: refused, untouched.
    with open(conf) as f:
        moved = f.read().replace("10.1.2.3", "10.1.2.4")
    with open(conf, "w") as f:
        f.write(moved)
    r = gen_certs(["--config", conf, "--out", out], want_rc=2)
    if "node-1.crt does not carry the names" not in r.stderr:
        fail("moved host: %r" % r.stderr)
    if open(os.path.join(out, "node-1.crt"), "rb").read() != digest["node-1.crt"]:
        fail("moved host: node-1.crt was replaced without --force")
    other = os.path.join(tmp, "other")
    gen_certs(["--nodes", "2", "--out", other])
    shutil.copy(os.path.join(other, "node-0.crt"), os.path.join(out, "node-0.crt"))
    r = gen_certs(["--config", conf, "--out", out], want_rc=2)
    if "node-0.crt is not signed by" not in r.stderr:
        fail("foreign node-0.crt: %r" % r.stderr)
    r = gen_certs(["--config", conf, "--out", out, "--force"])
    if open(os.path.join(out, "ca.crt"), "rb").read() == digest["ca.crt"] or r.stdout.count("wrote") != 6:
        fail("--force did not start over:\n" + r.stdout)
    for bad, msg in ((["--nodes", "1"], "--nodes: expected 2..32"), ([], "give --config FILE or --nodes N"),
                     (["--nodes", "3", "--days", "x"], "--days: expected"),
                     (["--config", os.path.join(tmp, "none.conf")], "cannot read it")):
        r = gen_certs(bad + ["--out", os.path.join(tmp, "x")], want_rc=2)
        if msg not in r.stderr:
            fail("gen-certs %s: %r" % (bad, r.stderr))
    h = subprocess.run([GEN_CERTS, "--help"], capture_output=True, text=True)
    if h.returncode != 0 or "--config FILE" not in h.stdout:
        fail("gen-certs --help")
    print("ok: gen-certs: 10 files with their modes and names, kept on a second run, node added, "
          "moved host and foreign certificate refused, --force, usage errors", flush=True)


def tls_config_cases(xroad, tmp):
    """TLS settings and files the daemon refuses, each with the file named."""
    d = os.path.join(tmp, "tls")
    os.makedirs(d)
    with open(os.path.join(d, "routes.txt"), "w") as f:
        f.write("right 1\n")
    base = ("run = t\nroutes = routes.txt\n%s"
            "node 0 light - tls+tcp://127.0.0.1:7100\nnode 1 car S tls+tcp://127.0.0.1:7110\n")
    conf = os.path.join(d, "c.conf")
    with open(conf, "w") as f:
        f.write(base % "tls_ca = certs/ca.crt\n")
    gen_certs(["--config", conf, "--out", os.path.join(d, "certs")])
    gen_certs(["--nodes", "2", "--out", os.path.join(d, "rogue")])
    certs = os.path.join(d, "certs")
    saved = {n: open(os.path.join(certs, n), "rb").read() for n in os.listdir(certs)}

    def restore():
        for n, b in saved.items():
            with open(os.path.join(certs, n), "wb") as f:
                f.write(b)

    def put(name, data):
        with open(os.path.join(certs, name), "wb") as f:
            f.write(data)

    def remove(name):
        os.remove(os.path.join(certs, name))

    rogue = lambda n: open(os.path.join(d, "rogue", n), "rb").read()
    tls = "tls_ca = certs/ca.crt\n"
    cases = [
        # (settings, file change, exit, message)
        (tls, None, 0, ""),
        (tls, lambda: remove("node-1.key"), 2, "c.conf: node 1: %s/node-1.key: No such file or directory" % certs),
        (tls, lambda: remove("ca.crt"), 2, "%s/ca.crt: No such file or directory" % certs),
        (tls, lambda: put("node-1.crt", b"not a certificate\n"), 2, "node-1.crt: no \"-----BEGIN CERTIFICATE-----\" block"),
        (tls, lambda: put("node-1.crt", saved["node-0.crt"]) or put("node-1.key", saved["node-0.key"]), 2,
         "node-1.crt: does not carry the name xroad-node-1"),
        (tls, lambda: put("node-1.key", saved["node-0.key"]), 2, "node-1.key: not the key of the certificate"),
        (tls, lambda: put("node-1.crt", rogue("node-1.crt")) or put("node-1.key", rogue("node-1.key")), 2,
         "node-1.crt: not signed by the CA in"),
        (tls, lambda: put("node-1.crt", saved["ctl.crt"]) or put("node-1.key", saved["ctl.key"]), 2,
         "node-1.crt: does not carry the name xroad-node-1"),
        (tls, lambda: put("node-1.crt", b"\x30\x82\x01\x00binary"), 2, "node-1.crt: binary, not a PEM certificate"),
        ("tls_ca = certs/ca.crt\ntls_cert = keys/{id}/cert.pem\ntls_key = keys/{id}/key.pem\n", None, 2,
         "c.conf: node 0: %s/keys/0/cert.pem: No such file or directory" % d),
        ("tls_ca = certs/ca.crt\ntls_cert = certs/node-{ID}.crt\n", None, 2,
         "c.conf:4: tls_cert: only {id} is replaced in a path"),
        ("tls_cert = certs/node-{id}.crt\n", None, 2, "c.conf:3: tls_cert: needs tls_ca"),
        ("", None, 2, "c.conf:3: node 0: tls+tcp address needs tls_ca"),
    ]
    for k, (settings, change, want_rc, want_msg) in enumerate(cases):
        with open(conf, "w") as f:
            f.write(base % settings)
        restore()
        if change:
            change()
        r = subprocess.run([xroad, "--check-config", "--config", conf], capture_output=True, text=True,
                           timeout=20)
        if r.returncode != want_rc or want_msg not in r.stderr:
            fail("TLS case %d: exit %d, stderr %r; expected exit %d and %r" %
                 (k, r.returncode, r.stderr.strip(), want_rc, want_msg))
    # Custom paths with {id}: the files of every node are found.
    keys = os.path.join(d, "keys")
    for i in range(2):
        os.makedirs(os.path.join(keys, str(i)))
        shutil.copy(os.path.join(certs, "node-%d.crt" % i), os.path.join(keys, str(i), "cert.pem"))
        shutil.copy(os.path.join(certs, "node-%d.key" % i), os.path.join(keys, str(i), "key.pem"))
    with open(conf, "w") as f:
        f.write(base % "tls_ca = certs/ca.crt\ntls_cert = keys/{id}/cert.pem\ntls_key = keys/{id}/key.pem\n")
    r = subprocess.run([xroad, "--check-config", "--config", conf], capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        fail("tls_cert/tls_key with {id}: %s" % r.stderr)
    # Mixed: one plain node in a TLS cluster, either way round.
    mixed = base.replace("tls+tcp://127.0.0.1:7110", "tcp://127.0.0.1:7110")
    with open(conf, "w") as f:
        f.write(mixed % tls)
    r = subprocess.run([xroad, "--check-config", "--config", conf], capture_output=True, text=True, timeout=20)
    if r.returncode != 2 or "c.conf:5: node 1: address tcp://127.0.0.1:7110 is not tls+tcp://, but tls_ca is set (line 3)" not in r.stderr:
        fail("mixed tls/tcp: exit %d, %r" % (r.returncode, r.stderr))
    with open(conf, "w") as f:
        f.write(mixed % "")
    r = subprocess.run([xroad, "--check-config", "--config", conf], capture_output=True, text=True, timeout=20)
    if r.returncode != 2 or "node 0: tls+tcp address needs tls_ca" not in r.stderr:
        fail("mixed tls/tcp without tls_ca: exit %d, %r" % (r.returncode, r.stderr))
    # The daemon itself: a missing key is exit 2, before any socket opens.
    with open(conf, "w") as f:
        f.write(base % tls)
    restore()
    remove("node-1.key")
    r = subprocess.run([xroad, "--config", conf, "--id", "1"], capture_output=True, text=True, timeout=20)
    if r.returncode != 2 or "node-1.key: No such file or directory" not in r.stderr or \
            os.path.exists(os.path.join(d, "state")):
        fail("daemon with a missing key: exit %d, %r" % (r.returncode, r.stderr))
    return len(cases) + 4


def start_check_cases(xroad, tmp):
    """Configs that parse but cannot start (issue 13): --check-config refuses
    each with the line the start itself prints, exit 2, and the start refuses
    it before it opens anything. Before issue 13 the check said ok to all."""
    d = os.path.join(tmp, "start")
    os.makedirs(d)
    with open(os.path.join(d, "routes.txt"), "w") as f:
        f.write("right 1\n")
    with open(os.path.join(d, "afile"), "w") as f:
        f.write("not a directory\n")
    # 108 bytes is sun_path with its NUL; the wave socket adds ".wave".
    deep = os.path.join(d, "x" * max(1, 104 - len(d)))
    os.makedirs(deep)
    nodes = "node 0 light - ipc://%s/a\nnode 1 car S ipc://%s/b\n" % (d, d)
    cases = [
        ("run = t\nroutes = routes.txt\nnode 0 light - ipc://%s/a\nnode 1 car S ipc://%s/b\n"
         % (deep, d), "c.conf:3: node 0: address ipc://%s/a: the path of its wave socket" % deep),
        ("run = t\nroutes = s3://bucket/routes.txt\n" + nodes,
         "c.conf: routes s3://bucket/routes.txt: s3:// needs cloud = aws"),
        ("run = t\nroutes = routes.txt\nstate_dir = afile\n" + nodes,
         "c.conf: state_dir %s/afile: not a directory" % d),
        ("run = t\nroutes = routes.txt\nstate_dir = afile/state\n" + nodes,
         "c.conf: state_dir %s/afile/state: %s/afile is not a directory" % (d, d)),
        ("run = t\nroutes = routes.txt\nnode 0 light - ipc://%s/none/a\nnode 1 car S ipc://%s/b\n"
         % (d, d), "c.conf:3: node 0: address ipc://%s/none/a: directory %s/none: No such file" % (d, d)),
    ]
    path = os.path.join(d, "c.conf")
    for k, (conf, want) in enumerate(cases):
        with open(path, "w") as f:
            f.write(conf)
        for argv in (["--check-config", "--config", path], ["--config", path, "--id", "0"]):
            r = subprocess.run([xroad] + argv, capture_output=True, text=True, timeout=20)
            if r.returncode != 2 or want not in r.stderr or r.stderr.count("\n") != 1:
                fail("start check %d: xroad %s: exit %d, stderr %r; expected exit 2 and one line with %r"
                     % (k, " ".join(argv), r.returncode, r.stderr.strip(), want))
        # Nothing was created: the state_dir default is beside the file.
        if os.path.exists(os.path.join(d, "state")):
            fail("start check %d: a refused start created %s/state" % (k, d))
    # The same s3:// routes are fine for the check with the aws cloud.
    with open(path, "w") as f:
        f.write(cases[1][0])
    r = subprocess.run([xroad, "--check-config", "--cloud", "aws", "--config", path],
                       capture_output=True, text=True, timeout=20)
    if r.returncode != 0 or "(not checked: s3)" not in r.stdout:
        fail("--check-config --cloud aws with s3:// routes: exit %d %r" % (r.returncode, r.stderr))
    return len(cases)


def scenario_config(args, tmp):
    """Broken configuration and routes files: exit 2 with file:line: key."""
    xroad = os.path.join(args.build, "xroad")
    good = ("run = t\nroutes = routes.txt\n"
            "node 0 light - ipc://%s/a\nnode 1 car S ipc://%s/b\n" % (tmp, tmp))
    with open(os.path.join(tmp, "routes.txt"), "w") as f:
        f.write("right 1\nstraight 2\n")
    cases = [
        (good, None, 0, ""),
        (good.replace("run = t", "run = t\ncross_ms = fast"), None, 2, "c.conf:2: cross_ms: not a number"),
        (good + "colour = red\n", None, 2, "c.conf:5: colour: unknown key"),
        (good + "run = u\n", None, 2, "c.conf:5: run: duplicate key (first at line 1)"),
        (good.replace("routes = routes.txt\n", ""), None, 2, "routes: missing required setting"),
        (good + "node 1 car E ipc:///tmp/x\n", None, 2, "c.conf:5: node: id 1 already declared at line 4"),
        (good + "node 2 car Q ipc:///tmp/x\n", None, 2, "c.conf:5: node 2: approach must be S, E, N or W"),
        (good + "node 3 car E ipc:///tmp/y\n", None, 2, "2 is missing"),
        (good + "node 2 light - ipc:///tmp/y\n", None, 2, "a second light"),
        (good + "node 2 car E http://x\n", None, 2, "c.conf:5: node 2: address"),
        (good + "topology = donut\n", None, 2, "c.conf:5: topology: expected star"),
        (good + "fail_ms = 300\n", None, 2, "c.conf:5: fail_ms: 300 is less than two heartbeats"),
        (good + "heartbeat_ms = 0\n", None, 2, "c.conf:5: heartbeat_ms: must be positive"),
        (good + "fail_ms = 0\n", None, 0, ""),
        (good + "arrivals = poisson\nheadway_ms = 150\n", None, 0, ""),
        (good + "arrivals = poisson\nheadway_ms = 150\nrounds = 6\n", None, 0,
         "arrivals=poisson headway_ms=150 vehicles_per_car=6"),
        (good + "arrivals = Poisson\n", None, 0, ""),
        (good + "arrivals = sometimes\n", None, 2, 'c.conf:5: arrivals: expected always or poisson: "sometimes"'),
        (good + "headway_ms = 0\n", None, 2, "c.conf:5: headway_ms: must be 1..3600000 ms: 0"),
        (good + "headway_ms = 3600001\n", None, 2, "c.conf:5: headway_ms: must be 1..3600000 ms: 3600001"),
        (good + "headway_ms = soon\n", None, 2, 'c.conf:5: headway_ms: not a number: "soon"'),
        (good + "arrivals = poisson\nrounds = 0\n", None, 2,
         "c.conf:6: rounds: with arrivals = poisson (line 5) it is the vehicles each car sends: must be 1..1000000: 0"),
        (good + "rounds = 0\n", None, 0, ""),
        (good, "right 1\nsideways 2\n", 2, "routes.txt:2: sideways: turn must be right, straight or left"),
        (good, "right 0\n", 2, "no turn has a positive weight"),
        (good, "\x00\x01binary", 2, "routes.txt"),
        ("\x00\xff" * 10, None, 2, "c.conf"),
    ]
    for k, (conf, routes, want_rc, want_msg) in enumerate(cases):
        path = os.path.join(tmp, "c.conf")
        with open(path, "w", encoding="latin-1") as f:
            f.write(conf)
        if routes is not None:
            with open(os.path.join(tmp, "routes.txt"), "w", encoding="latin-1") as f:
                f.write(routes)
        r = subprocess.run([xroad, "--check-config", "--config", path], capture_output=True, text=True,
                           timeout=20, errors="replace")
        if r.returncode != want_rc or want_msg not in (r.stderr if want_rc else r.stdout):
            fail("case %d: exit %d, stdout %r, stderr %r; expected exit %d and %r" %
                 (k, r.returncode, r.stdout.strip(), r.stderr.strip(), want_rc, want_msg))
        with open(os.path.join(tmp, "routes.txt"), "w") as f:
            f.write("right 1\nstraight 2\n")
    # The daemon itself refuses a bad routes file before it opens a socket.
    with open(os.path.join(tmp, "c.conf"), "w") as f:
        f.write(good)
    with open(os.path.join(tmp, "routes.txt"), "w") as f:
        f.write("left many\n")
    r = subprocess.run([xroad, "--config", os.path.join(tmp, "c.conf"), "--id", "1"],
                       capture_output=True, text=True, timeout=20)
    if r.returncode != 2 or "routes.txt:1: left: weight must be a number" not in r.stderr:
        fail("daemon with a bad routes file: exit %d, %r" % (r.returncode, r.stderr.strip()))
    for bad in (["--id", "x"], ["--bogus"], ["--config"], ["--config", "c.conf", "--cloud", "gcp"]):
        r = subprocess.run([xroad] + bad, capture_output=True, text=True, timeout=20)
        if r.returncode != 2:
            fail("xroad %s: exit %d, expected 2" % (" ".join(bad), r.returncode))
    r = subprocess.run([xroad, "--help"], capture_output=True, text=True, timeout=20)
    if r.returncode != 0 or "--trace FILE" not in r.stdout:
        fail("xroad --help")
    n_tls = tls_config_cases(xroad, tmp)
    n_start = start_check_cases(xroad, tmp)
    print("ok: %d configuration cases, %d TLS cases, %d start checks, daemon routes check, "
          "usage errors" % (len(cases), n_tls, n_start), flush=True)


SCENARIOS = {"config_drift": scenario_config_drift, "disk_full": scenario_disk_full, "netns_cut_after_crossing": scenario_netns_cut_after_crossing, "config": scenario_config, "rounds50": scenario_rounds50, "straight": scenario_straight, "optimal": scenario_optimal,
             "open_rounds": scenario_open_rounds,
             "kill9": scenario_kill9, "kill9_light": scenario_kill9_light,
             "dead_car": scenario_dead_car, "dead_car_in_box": scenario_dead_car_in_box,
             "netns_partition": scenario_netns_partition,
             "garbage": scenario_garbage, "tcp": scenario_tcp,
             "tls": scenario_tls, "gencerts": scenario_gencerts, "stray": scenario_stray,
             "forged_epoch": scenario_forged_epoch, "forged_reply": scenario_forged_reply}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--build", default=os.environ.get("XROAD_BUILD_DIR", "build"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    if not os.access(os.path.join(args.build, "xroad"), os.X_OK):
        fail("%s/xroad is missing" % args.build)
    tmp = tempfile.mkdtemp(prefix="xrit-", dir="/tmp")
    ok = False
    try:
        t0 = time.time()
        SCENARIOS[args.scenario](args, tmp)
        print("PASS %s in %.1fs" % (args.scenario, time.time() - t0), flush=True)
        ok = True
    finally:
        if args.keep or not ok:
            print("files kept in " + tmp, flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
