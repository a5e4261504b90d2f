#!/usr/bin/env bash
# tools/demo as a new user meets it (issue 13): a flag without its value or
# with a value it cannot use is refused at once in one line; the build shows
# progress; run/latest points at the newest of two runs and its
# cluster.conf works with xroadctl; the files it makes in TMPDIR are gone
# after a run that succeeds, one whose config is refused and one stopped by
# a signal. Real processes: the demo runs its cluster (2 rounds, 20 ms).
set -euo pipefail
src=${XROAD_SOURCE_DIR:?} build=${XROAD_BUILD_DIR:?}
demo=$src/tools/demo
work=$(mktemp -d /tmp/xr-dm.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
export XROAD_BUILD_DIR=$build XROAD_RUN_DIR=$work/run TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
left() { find "$TMPDIR" -mindepth 1 -maxdepth 1 | wc -l; }

# Bad flags: exit 2 within a second, one line naming the flag.
check_usage() {
  local want=$1 t0 rc=0
  shift
  t0=$(date +%s%N)
  "$demo" "$@" >"$work/out" 2>"$work/err" || rc=$?
  local ms=$((($(date +%s%N) - t0) / 1000000))
  [[ $rc == 2 ]] || fail "demo $*: exit $rc: $(cat "$work/err")"
  [[ $(wc -l <"$work/err") == 1 ]] || fail "demo $*: stderr: $(cat "$work/err")"
  grep -qF -- "$want" "$work/err" || fail "demo $*: $(cat "$work/err"), expected \"$want\""
  ((ms < 1000)) || fail "demo $*: took $ms ms to refuse"
}
check_usage "--rounds needs a value" --rounds
check_usage "--rounds needs a value" --rounds --no-build
check_usage "--rounds must be 1..100000: 0" --rounds 0
check_usage "--rounds must be a number" --rounds ten
check_usage "--seed needs a value" --no-build --seed
check_usage "--topology must be star" --topology donut
check_usage "--routes $work/none: not a readable file" --routes "$work/none"
check_usage "--arrivals must be always or poisson: \"often\"" --arrivals often
check_usage "--headway-ms must be 1..3600000: 0" --headway-ms 0
check_usage "--headway-ms must be a number" --headway-ms soon
[[ $(left) == 0 ]] || fail "usage errors left files in TMPDIR: $(ls "$TMPDIR")"
ok "flags refused in one line, at once"

# A build (up to date here: seconds) shows its progress; two runs.
"$demo" --rounds 2 --cross-ms 20 >"$work/run1.out" 2>&1 || fail "demo (build + run 1): $(tail "$work/run1.out")"
grep -q "^demo: building 100% " "$work/run1.out" || fail "no build progress: $(head "$work/run1.out")"
grep -q "^demo: built in [0-9]* s$" "$work/run1.out" || fail "no build summary: $(head "$work/run1.out")"
[[ $(left) == 0 ]] || fail "a run left files in TMPDIR: $(ls "$TMPDIR")"
first=$(readlink "$XROAD_RUN_DIR/latest")
"$demo" --no-build --rounds 2 --cross-ms 20 >"$work/run2.out" 2>&1 || fail "demo run 2: $(tail "$work/run2.out")"
second=$(readlink "$XROAD_RUN_DIR/latest")
[[ $first != "$second" && -d $XROAD_RUN_DIR/$second ]] || fail "run/latest: $first then $second"
[[ $(ls -d "$XROAD_RUN_DIR"/demo-* | wc -l) == 2 ]] || fail "expected two runs: $(ls "$XROAD_RUN_DIR")"
grep -q "config $XROAD_RUN_DIR/$second/cluster.conf" "$work/run2.out" || fail "run 2 is not latest: $(head "$work/run2.out")"
# The README's command on the newest run: its crossings, 2 rounds x 4 cars.
"$build/xroadctl" --config "$XROAD_RUN_DIR/latest/cluster.conf" log --json >"$work/log.json" ||
  fail "xroadctl --config run/latest/cluster.conf log: exit $?"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["crossings"]; assert len(r)==8 and {x["run"] for x in r}=={sys.argv[2]}, r' \
  "$work/log.json" "$second" || fail "log of run/latest: $(cat "$work/log.json")"
[[ $(left) == 0 ]] || fail "run 2 left files in TMPDIR: $(ls "$TMPDIR")"
ok "build progress; run/latest -> $second of two runs"

# Open rounds: each car sends 2 vehicles at random, all 8 cross once, in as
# many rounds as it takes; the config says so and status shows the queues.
"$demo" --no-build --rounds 2 --cross-ms 20 --arrivals poisson --headway-ms 50 >"$work/poisson.out" 2>&1 ||
  fail "demo --arrivals poisson: $(tail "$work/poisson.out")"
grep -q "^demo: run .*2 vehicles per car (poisson, mean headway 50 ms)" "$work/poisson.out" ||
  fail "demo --arrivals poisson: $(head -3 "$work/poisson.out")"
grep -q "^demo: 8 crossings (8 distinct) of 2 vehicles per car in [0-9]* rounds" "$work/poisson.out" ||
  fail "demo --arrivals poisson: $(tail -5 "$work/poisson.out")"
grep -qx "arrivals  = poisson" "$XROAD_RUN_DIR/latest/cluster.conf" &&
  grep -qx "headway_ms = 50" "$XROAD_RUN_DIR/latest/cluster.conf" ||
  fail "demo --arrivals poisson config: $(cat "$XROAD_RUN_DIR/latest/cluster.conf")"
[[ $(left) == 0 ]] || fail "the poisson run left files in TMPDIR: $(ls "$TMPDIR")"
ok "--arrivals poisson --headway-ms 50: 8 crossings, 2 per car"

# A config the node refuses (routes with no positive weight): exit 2 from
# the check, nothing left in TMPDIR.
printf 'right 0\n' >"$work/zero.txt"
rc=0
"$demo" --no-build --rounds 1 --routes "$work/zero.txt" >"$work/zero.out" 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "demo with a refused routes file: exit $rc: $(cat "$work/zero.out")"
[[ $(left) == 0 ]] || fail "a refused config left files in TMPDIR: $(ls "$TMPDIR")"
ok "refused config: exit 2, TMPDIR clean"

# SIGTERM in the middle of the rounds (the demo treats it as Ctrl-C; a
# background job of a script ignores SIGINT itself): exit 130, nodes
# stopped, TMPDIR clean.
"$demo" --no-build --rounds 100 --cross-ms 50 >"$work/int.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "^round " "$work/int.out" && break; sleep 0.1; done
grep -q "^round " "$work/int.out" || fail "the long demo did not start: $(cat "$work/int.out")"
sockdir=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 -name 'xroad.*' | head -1)
[[ -n $sockdir ]] || fail "the long demo has no directory in TMPDIR"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[[ $rc == 130 ]] || fail "demo after SIGTERM: exit $rc"
[[ $(left) == 0 ]] || fail "SIGTERM left files in TMPDIR: $(ls "$TMPDIR")"
if pgrep -f -- "--config $sockdir/cluster.conf" >/dev/null; then
  fail "nodes still run after SIGTERM: $(pgrep -af -- "--config $sockdir/cluster.conf")"
fi
ok "SIGTERM: exit 130, nodes stopped, $sockdir removed"
echo PASS
