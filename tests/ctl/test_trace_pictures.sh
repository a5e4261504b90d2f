#!/bin/sh
# xroadctl trace --svg and --shiviz (issue 13, pictures), offline, on the
# checked-in traces of tests/replay and the per-node traces replay_gen
# writes: the SVG parses and has a line per node, arrows of each kind, the
# legend, the deadlock shaded exactly when there is one, and says where it
# is cut; the ShiViz log has a JSON vector clock per event, monotone per
# node, every receive's clock dominating its send's, and the checker
# catches a broken clock. Bad input: one line naming the file, exit 1, no
# crash.
# usage: test_trace_pictures.sh XROADCTL SOURCE_DIR GEN_DIR
set -u
ctl=$1 src=$2 gen=$3
# /usr/bin/python3 when there is one: a pyenv shim costs ~2 s a start.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
check="$py $src/tests/ctl/check_pictures.py"
fail() { echo "test_trace_pictures.sh: $*" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/xroad-pictures.XXXXXX") || fail "mktemp"
trap 'rm -rf "$dir"' EXIT
rp=$src/tests/replay

# The deadlocked run recorded from five real daemons.
"$ctl" trace "$rp/rec-deadlock.trace" --svg "$dir/d.svg" 2>"$dir/err" || fail "--svg: $(cat "$dir/err")"
$check trace-svg "$dir/d.svg" --nodes 5 --deadlock yes --classes wave,override,probe,crossing,blocked \
	--shade-within 50 || exit 1
"$ctl" trace "$rp/rec-deadlock.trace" --shiviz "$dir/d.shiviz" 2>"$dir/err" || fail "--shiviz: $(cat "$dir/err")"
$check shiviz "$dir/d.shiviz" --min-matched 100 || exit 1
$check shiviz "$dir/d.shiviz" --tamper || exit 1
# A window around the deadlock (wherever this recording has it): only
# what happened in it, and still a picture.
span=$(grep -o 'deadlocked from [0-9]* to [0-9]* ms' "$dir/d.svg" | head -n 1)
a=$(echo "$span" | cut -d' ' -f3) b=$(echo "$span" | cut -d' ' -f5)
[ -n "$a" ] && [ -n "$b" ] || fail "no deadlocked interval in $dir/d.svg"
"$ctl" trace "$rp/rec-deadlock.trace" --svg "$dir/w.svg" --from $((a > 20 ? a - 20 : 0)) --to $((b + 40)) \
	2>/dev/null || fail "--from/--to"
$check trace-svg "$dir/w.svg" --nodes 5 --deadlock yes --classes probe || exit 1

# A run without deadlock shades nothing. Its cars are all free to go and
# cross within the intent set's echo (docs/PROTOCOL.md): waves only.
"$ctl" trace "$rp/gen-clean.trace" --svg "$dir/c.svg" 2>/dev/null || fail "--svg gen-clean"
$check trace-svg "$dir/c.svg" --nodes 5 --deadlock no --classes wave || exit 1

# Three rounds with deadlocks and a restart: each declared in its shade.
"$ctl" trace "$rp/rec-restart.trace" --svg "$dir/r3.svg" 2>/dev/null || fail "--svg rec-restart"
$check trace-svg "$dir/r3.svg" --nodes 5 --deadlock yes --shade-within 100 || exit 1
# Cut at 60 messages: the picture says so and draws no more.
"$ctl" trace "$rp/rec-restart.trace" --svg "$dir/r.svg" --max-messages 60 2>/dev/null || fail "--svg rec-restart"
$check trace-svg "$dir/r.svg" --nodes 5 --cut || exit 1
"$ctl" trace "$rp/rec-restart.trace" --shiviz "$dir/r.shiviz" 2>/dev/null || fail "--shiviz rec-restart"
$check shiviz "$dir/r.shiviz" --min-matched 250 || exit 1

# One file per node, as the daemons write them, merges into the same run
# as the combined file: the same matching.
"$ctl" trace "$gen"/deadlock.n0.trace "$gen"/deadlock.n1.trace "$gen"/deadlock.n2.trace \
	"$gen"/deadlock.n3.trace "$gen"/deadlock.n4.trace --shiviz "$dir/n.shiviz" 2>"$dir/n.err" ||
	fail "per-node files: $(cat "$dir/n.err")"
"$ctl" trace "$gen/deadlock.trace" --shiviz "$dir/g.shiviz" 2>"$dir/g.err" || fail "gen deadlock"
$check shiviz "$dir/n.shiviz" --min-matched 20 || exit 1
[ "$(sed 's/^[^:]*: [^:]*: //' "$dir/n.err")" = "$(sed 's/^[^:]*: [^:]*: //' "$dir/g.err")" ] ||
	fail "per-node files and the combined file merge differently: $(cat "$dir/n.err" "$dir/g.err")"

# Bad input. want_error EXIT PATTERN COMMAND...: that exit status, one
# line on stderr matching PATTERN, no crash.
want_error() {
	want=$1 pat=$2
	shift 2
	"$@" >"$dir/out" 2>"$dir/err"
	rc=$?
	[ $rc -eq "$want" ] || fail "$*: exit $rc, want $want; stderr: $(cat "$dir/err")"
	[ "$(wc -l <"$dir/err")" -eq 1 ] || fail "$*: want one line on stderr: $(cat "$dir/err")"
	grep -q -- "$pat" "$dir/err" || fail "$*: stderr does not say $pat: $(cat "$dir/err")"
}
: >"$dir/empty.trace"
head -c 700 "$rp/rec-deadlock.trace" >"$dir/torn.trace"
echo "not a trace at all" >"$dir/junk.trace"
for mode in --svg --shiviz; do
	want_error 1 "$dir/missing.trace: No such file" "$ctl" trace "$dir/missing.trace" $mode "$dir/o"
	want_error 1 "empty.trace: no records" "$ctl" trace "$dir/empty.trace" $mode "$dir/o"
	want_error 1 "junk.trace: record 1 at offset 0" "$ctl" trace "$dir/junk.trace" $mode "$dir/o"
	want_error 1 "node 0 is in both" "$ctl" trace "$gen/deadlock.trace" "$gen/deadlock.n0.trace" $mode "$dir/o"
	want_error 1 "cannot write $dir/no/such/dir.svg" "$ctl" trace "$rp/rec-deadlock.trace" $mode "$dir/no/such/dir.svg"
	want_error 2 "$mode needs a file" "$ctl" trace "$rp/rec-deadlock.trace" $mode
done
# A torn trace (a node killed mid-write): the error names record and
# offset, exit 1, and the picture of the whole records is still drawn.
want_error 1 "torn.trace: record [0-9]* at offset [0-9]*: truncated" "$ctl" trace "$dir/torn.trace" --svg "$dir/torn.svg"
$check trace-svg "$dir/torn.svg" --nodes 1 || exit 1
want_error 1 "no record between 999999" "$ctl" trace "$rp/rec-deadlock.trace" --svg "$dir/o" --from 999999
want_error 2 "--to 5 is before --from 9" "$ctl" trace "$rp/rec-deadlock.trace" --svg "$dir/o" --from 9 --to 5
want_error 2 "go with --svg" "$ctl" trace "$rp/rec-deadlock.trace" --shiviz "$dir/o" --from 9
want_error 2 "one at a time" "$ctl" trace "$rp/rec-deadlock.trace" --svg "$dir/o" --shiviz "$dir/p"
want_error 2 "--max-messages needs" "$ctl" trace "$rp/rec-deadlock.trace" --svg "$dir/o" --max-messages 0
"$ctl" trace --help | grep -q -- "--shiviz OUT" || fail "trace --help does not tell --shiviz"
echo "test_trace_pictures.sh: ok"
