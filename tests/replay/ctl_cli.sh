#!/bin/sh
# xroadctl's command-line contract, on a generated trace:
#   --help lists the trace command;
#   a torn trace prints every whole record, names the record and offset of
#   the damage, and exits 1;
#   missing arguments and unknown commands exit 2.
# usage: ctl_cli.sh XROADCTL GOOD.trace WORKDIR
set -u
ctl=$1 good=$2 work=$3
fail() { echo "ctl_cli.sh: $*" >&2; exit 1; }

"$ctl" --help | grep -q '^  trace ' || fail "--help does not list trace"

head -c 500 "$good" > "$work/torn.trace"
"$ctl" trace "$work/torn.trace" > "$work/torn.out" 2> "$work/torn.err"
rc=$?
[ $rc -eq 1 ] || fail "torn trace: exit $rc, want 1"
grep -q 'torn.trace: record [0-9]* at offset [0-9]*: truncated' "$work/torn.err" ||
	fail "torn trace: error does not name record and offset: $(cat "$work/torn.err")"
[ -s "$work/torn.out" ] || fail "torn trace: the whole records were not printed"

"$ctl" trace --json "$work/torn.trace" > "$work/torn.json" 2>/dev/null
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["files"][0]["error"]' \
	"$work/torn.json" 2>/dev/null || fail "torn trace: --json is not JSON with an error"

"$ctl" trace > /dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || fail "trace without a file: exit $rc, want 2"
"$ctl" no-such-command > /dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || fail "unknown command: exit $rc, want 2"
echo "ctl_cli.sh: ok"
