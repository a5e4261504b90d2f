#!/bin/sh
# xroad-sim --compare-light --svg (issue 13, pictures): the text output is
# the same with and without the picture, and the picture parses and holds
# both systems' delay distributions, monotone, with their legend; a file
# that cannot be written is one line naming it, exit 2; --svg without
# --compare-light is a usage error.
# usage: compare_svg.sh XROAD_SIM SOURCE_DIR
set -u
sim=$1 src=$2
fail() { echo "compare_svg.sh: $*" >&2; exit 1; }
py=/usr/bin/python3 # a pyenv shim costs ~2 s a start
[ -x "$py" ] || py=python3
dir=$(mktemp -d "${TMPDIR:-/tmp}/xroad-compare-svg.XXXXXX") || fail "mktemp"
trap 'rm -rf "$dir"' EXIT

"$sim" --compare-light --seeds 20 --first-seed 1 >"$dir/plain.out" 2>/dev/null || fail "--compare-light failed"
"$sim" --compare-light --seeds 20 --first-seed 1 --svg "$dir/c.svg" >"$dir/svg.out" 2>"$dir/err" ||
	fail "--svg failed: $(cat "$dir/err")"
cmp -s "$dir/plain.out" "$dir/svg.out" || fail "--svg changed the text output: $(diff "$dir/plain.out" "$dir/svg.out")"
"$py" "$src/tests/ctl/check_pictures.py" compare-svg "$dir/c.svg" || exit 1
grep -q "xroad: 800 vehicles" "$dir/c.svg" || fail "the legend does not count xroad's 800 vehicles"

"$sim" --compare-light --seeds 1 --svg "$dir/no/such/dir.svg" >/dev/null 2>"$dir/err"
rc=$?
[ $rc -eq 2 ] || fail "unwritable --svg: exit $rc, want 2"
[ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q "no/such/dir.svg: No such file" "$dir/err" ||
	fail "unwritable --svg: $(cat "$dir/err")"
"$sim" --seeds 1 --svg "$dir/x.svg" >/dev/null 2>"$dir/err"
rc=$?
[ $rc -eq 2 ] && grep -q -- "--svg goes with --compare-light" "$dir/err" ||
	fail "--svg without --compare-light: exit $rc: $(cat "$dir/err")"
echo "compare_svg.sh: ok"
