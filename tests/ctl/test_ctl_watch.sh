#!/usr/bin/env bash
# xroadctl watch in a plain 80x24 terminal (tmux), its screen captured and
# checked: the header, the four approaches with their cars, the box and the
# events line are all on screen and nothing is wider than 80 columns.
set -euo pipefail
src=${XROAD_SOURCE_DIR:?} build=${XROAD_BUILD_DIR:?}
command -v tmux >/dev/null || { echo "tmux not installed: skipped"; exit 77; }
. "$src/tools/lib/cluster.sh"
dir=$(mktemp -d /tmp/xr-watch.XXXXXX)
sess=xrwatch$$
cleanup() { tmux kill-session -t "$sess" 2>/dev/null || true; xr_stop_all "$dir" 4 >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
printf 'straight 1\n' >"$dir/routes.txt"
xr_write_config "$dir" watch-test 4 1000 300 star ipc "$dir/routes.txt" 7 300
for i in 0 1 2 3 4; do xr_start "$build" "$dir" "$i"; done
tmux new-session -d -s "$sess" -x 80 -y 24 \
  "$build/xroadctl --config $dir/cluster.conf watch --interval 200; sleep 30"
screen=""
for _ in $(seq 50); do
  sleep 0.2
  screen=$(tmux capture-pane -p -t "$sess")
  [[ $screen == *"xroad watch | round"* ]] &&
    (($(grep -o straight <<<"$screen" | wc -l) >= 4)) && break
done
echo "$screen"
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $screen == *"xroad watch | round"* ]] || fail "no header"
for a in "N " "S " ; do :; done
grep -q "+--+--+" <<<"$screen" || fail "no box"
[[ $(grep -o "straight" <<<"$screen" | wc -l) -ge 4 ]] || fail "not every car shown with its turn"
grep -q "^waits:" <<<"$screen" || fail "no wait-for line"
grep -q "^last:" <<<"$screen" || fail "no events"
awk 'length($0) > 80 { exit 1 }' <<<"$screen" || fail "a line wider than 80 columns"
# --json: one object per frame, each with every node and the graph.
"$build/xroadctl" --config "$dir/cluster.conf" watch --json --frames 3 --interval 50 >"$dir/watch.json"
python3 - "$dir/watch.json" <<'PY' || fail "watch --json"
import json, sys
frames = [json.loads(l) for l in open(sys.argv[1])]
assert len(frames) == 3, len(frames)
for k, f in enumerate(frames):
    assert f["frame"] == k
    assert len(f["status"]["nodes"]) == 5
    assert {"edges", "cycles", "cars"} <= set(f["graph"])
PY
echo "test_ctl_watch: ok"
