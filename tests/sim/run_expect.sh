#!/bin/sh
# run_expect.sh EXPECTED_STATUS PROGRAM ARGS... -- REGEX...
# Runs PROGRAM ARGS, requires its exit status to be EXPECTED_STATUS and every
# REGEX (grep -E) to match some line of its output. ctest's own
# PASS_REGULAR_EXPRESSION ignores the exit status, which is half of what the
# simulator reports, hence this wrapper.
set -u
want="$1"
prog="$2"
shift 2
# Rotate "$@" so that the program's arguments come last, after a marker:
# REGEX... --END-- ARGS...
set -- "$@" "--END--"
while [ "$1" != "--" ] && [ "$1" != "--END--" ]; do
	set -- "$@" "$1"
	shift
done
[ "$1" = "--" ] && shift
regexes=""
while [ "$1" != "--END--" ]; do
	regexes="$regexes
$1"
	shift
done
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$prog" "$@" >"$out" 2>&1
status=$?
tail -n 12 "$out"
if [ "$status" -ne "$want" ]; then
	echo "run_expect: exit status $status, expected $want"
	exit 1
fi
printf "%s\n" "$regexes" | while IFS= read -r re; do
	[ -z "$re" ] && continue
	if ! grep -Eq -- "$re" "$out"; then
		echo "run_expect: no line matches /$re/"
		exit 1
	fi
done || exit 1
exit 0
