#!/usr/bin/env bash
# xroadctl against a live five-process cluster (ipc, embedded cloud):
# status lists 5 reachable nodes; run/pause/resume drive the rounds; graph
# renders (DOT through graphviz when installed); 100 snapshots taken while a
# 200-round run goes on are all complete and consistent (I6); log shows the
# newest crossings; a killed car shows as unreachable while the others are
# still listed; shutdown stops every node cleanly.
set -euo pipefail
src=${XROAD_SOURCE_DIR:?} build=${XROAD_BUILD_DIR:?}
. "$src/tools/lib/cluster.sh"
ctl=$build/xroadctl
dir=$(mktemp -d /tmp/xr-ctl.XXXXXX)
cleanup() { xr_stop_all "$dir" 4 >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$dir"/n*.log; do echo "== $f"; tail -5 "$f"; done >&2; exit 1; }
printf 'right 1\nstraight 2\nleft 1\n' >"$dir/routes.txt"
xr_write_config "$dir" ctl-test 4 0 20 star ipc "$dir/routes.txt" 7 300
for i in 0 1 2 3 4; do xr_start "$build" "$dir" "$i"; done
conf=(--config "$dir/cluster.conf")

# Every node answers (they may need a moment to listen).
for _ in $(seq 50); do
  "$ctl" "${conf[@]}" status --json >"$dir/status.json" 2>/dev/null && break
  sleep 0.1
done
python3 - "$dir/status.json" <<'PY' || fail "status --json"
import json, sys
s = json.load(open(sys.argv[1]))
nodes = s["nodes"]
assert len(nodes) == 5, nodes
assert all(n["reachable"] for n in nodes), nodes
assert [n["role"] for n in nodes].count("light") == 1
for n in nodes:
    assert {"id", "role", "address", "reachable", "round", "crossings"} <= set(n), n
PY
"$ctl" "${conf[@]}" status >/dev/null || fail "status (table)"

rounds_done() {
  "$ctl" "${conf[@]}" status --json | python3 -c 'import json,sys; print([n for n in json.load(sys.stdin)["nodes"] if n["role"]=="light"][0]["rounds_done"])'
}

# A long run (20 ms in the box), with 100 snapshots while it goes.
"$ctl" "${conf[@]}" run --rounds 200 >/dev/null || fail "run --rounds 200"
ok=0
for i in $(seq 100); do
  if "$ctl" "${conf[@]}" snapshot --json >"$dir/snap.json"; then
    python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["consistent"] is True and {"nodes","channels"} <= set(s), s' "$dir/snap.json" || fail "snapshot $i: $(cat "$dir/snap.json")"
    ok=$((ok + 1))
  else
    fail "snapshot $i: $(cat "$dir/snap.json")"
  fi
done
[[ $ok == 100 ]] || fail "only $ok of 100 snapshots consistent"
during=$(rounds_done)
echo "100 snapshots consistent, taken while the run was at rounds 0..$during"
((during < 200)) || echo "note: the run finished before the last snapshot"

"$ctl" "${conf[@]}" graph --json >"$dir/graph.json" || fail "graph --json"
python3 -c 'import json,sys; g=json.load(open(sys.argv[1])); assert {"edges","cycles","cars"} <= set(g)' "$dir/graph.json" || fail "graph json"
"$ctl" "${conf[@]}" graph --dot >"$dir/graph.dot" || fail "graph --dot"
# The docs' example (XROADCTL.md); graphviz comes with tools/install-deps.
command -v dot >/dev/null || fail "dot is missing: tools/install-deps installs graphviz"
dot -Tsvg "$dir/graph.dot" >/dev/null || fail "dot cannot render the graph"

# Pause holds the cluster between rounds (even with rounds queued); resume
# lets it go on.
"$ctl" "${conf[@]}" pause >/dev/null || fail pause
"$ctl" "${conf[@]}" run --rounds 20 >/dev/null || fail "run while paused"
sleep 1
r1=$(rounds_done)
sleep 1
r2=$(rounds_done)
[[ $r1 == "$r2" ]] || fail "paused cluster went on: $r1 -> $r2 rounds"
"$ctl" "${conf[@]}" resume >/dev/null || fail resume
for _ in $(seq 100); do
  r3=$(rounds_done)
  ((r3 > r2)) && break
  sleep 0.1
done
((r3 > r2)) || fail "resume: still at $r3 rounds"

# The crossings table.
"$ctl" "${conf[@]}" log --top 5 --json >"$dir/log.json" || fail "log"
python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["crossings"]; assert len(l)==5, l' "$dir/log.json" || fail "log --top 5: $(cat "$dir/log.json")"
# --run selects one run of the table (issue 17: one run per deployment);
# status names the configured one.
run=$(sed -n 's/^run *= *\([^ #]*\).*/\1/p' "$dir/cluster.conf" | head -1)
"$ctl" "${conf[@]}" log --run "$run" --top 5 --json >"$dir/log-run.json" || fail "log --run $run"
python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["crossings"]; assert len(l)==5 and all(r["run"]==sys.argv[2] for r in l), l' "$dir/log-run.json" "$run" || fail "log --run $run: $(cat "$dir/log-run.json")"
"$ctl" "${conf[@]}" log --run other-run --json >"$dir/log-other.json" || fail "log --run other-run"
python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["crossings"]; assert l==[], l' "$dir/log-other.json" || fail "log --run other-run: $(cat "$dir/log-other.json")"
set +e
"$ctl" "${conf[@]}" log --run 'bad run' 2>"$dir/log-bad.err"; rc=$?
set -e
[[ $rc == 2 ]] && grep -q 'xroadctl log: --run "bad run": not a run id' "$dir/log-bad.err" || fail "log --run 'bad run' exited $rc: $(cat "$dir/log-bad.err")"
"$ctl" "${conf[@]}" status >"$dir/status.txt" || true
grep -qx "run: $run" "$dir/status.txt" || fail "status does not name the run $run: $(tail -2 "$dir/status.txt")"

# A killed car is unreachable; the others are still listed.
xr_stop "$dir" 3 KILL
set +e
"$ctl" "${conf[@]}" status --json >"$dir/status2.json"
rc=$?
set -e
[[ $rc == 1 ]] || fail "status with a dead node exited $rc, want 1"
python3 - "$dir/status2.json" <<'PY' || fail "status with node 3 dead: $(cat "$dir/status2.json")"
import json, sys
nodes = json.load(open(sys.argv[1]))["nodes"]
assert len(nodes) == 5
for n in nodes:
    assert n["reachable"] == (n["id"] != 3), n
assert "node 3" in [n for n in nodes if n["id"] == 3][0]["error"]
PY

# Shutdown stops every node that still runs.
"$ctl" "${conf[@]}" shutdown >/dev/null 2>&1 || true
for _ in $(seq 100); do
  alive=0
  for i in 0 1 2 4; do xr_alive "$dir" "$i" && alive=1; done
  ((alive == 0)) && break
  sleep 0.1
done
((alive == 0)) || fail "nodes still running after shutdown"
echo "test_ctl_live: ok"
