#!/bin/sh
# `xroadctl graph --dot` places the cars as on the road, with plain dot (the
# docs' `| dot -Tsvg`) and with neato: N above the crossroad above S (a
# queue in order), W left of it and E right, and the cycle's edges red.
# usage: test_graph_dot.sh GRAPH_DOT_SAMPLE
set -u
sample=$1
fail() { echo "test_graph_dot.sh: $*" >&2; exit 1; }
command -v dot >/dev/null || fail "dot is missing: tools/install-deps installs graphviz"
py=/usr/bin/python3 # a pyenv shim costs ~2 s a start
[ -x "$py" ] || py=python3
dir=$(mktemp -d "${TMPDIR:-/tmp}/xroad-graph-dot.XXXXXX") || fail "mktemp"
trap 'rm -rf "$dir"' EXIT

"$sample" >"$dir/g.dot" || fail "the sample did not run"
[ "$(grep -c 'color=red' "$dir/g.dot")" -eq 4 ] || fail "want 4 red cycle edges: $(cat "$dir/g.dot")"
grep -q '?' "$dir/g.dot" && fail "a ? in the graph: $(cat "$dir/g.dot")"
for layout in dot neato; do
	"$layout" -Tplain "$dir/g.dot" >"$dir/$layout.plain" || fail "$layout cannot lay it out"
	"$layout" -Tsvg "$dir/g.dot" >"$dir/$layout.svg" || fail "$layout cannot draw it"
	"$py" - "$dir/$layout.plain" "$layout" <<'PY' || exit 1
import sys
pos = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0] == "node":
        pos[f[1]] = (float(f[2]), float(f[3]))
x = lambda n: pos[n][0]
y = lambda n: pos[n][1]  # graphviz's plain output: y grows upwards
checks = [
    ("N car 3 above the crossroad", y("c3") > y("crossroad")),
    ("S car 1 below the crossroad", y("c1") < y("crossroad")),
    ("S car 5 queued behind car 1", y("c5") < y("c1")),
    ("W car 4 left of the crossroad", x("c4") < x("crossroad")),
    ("W car 7 queued behind car 4", x("c7") < x("c4")),
    ("E car 2 right of the crossroad", x("c2") > x("crossroad")),
    ("E car 6 queued behind car 2", x("c6") > x("c2")),
    ("W and E on the crossroad's row", abs(y("c4") - y("crossroad")) < 0.01 and abs(y("c2") - y("crossroad")) < 0.01),
    ("N and S on the crossroad's column", abs(x("c3") - x("crossroad")) < 0.01 and abs(x("c1") - x("crossroad")) < 0.01),
]
bad = [name for name, ok in checks if not ok]
if bad:
    print("test_graph_dot.sh: %s: %s; positions %s" % (sys.argv[2], ", ".join(bad), pos), file=sys.stderr)
    sys.exit(1)
PY
done
echo "test_graph_dot.sh: ok (dot and neato place the cars as on the road)"
