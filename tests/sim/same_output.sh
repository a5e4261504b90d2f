#!/bin/sh
# same_output.sh PROGRAM ARGS...: runs the command twice and requires
# byte-identical stdout (a seed is a reproduction) and a non-trivial one.
set -u
a=$(mktemp)
b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
"$@" >"$a" 2>/dev/null
"$@" >"$b" 2>/dev/null
if ! cmp -s "$a" "$b"; then
	echo "same_output: two runs differ:"
	diff "$a" "$b" | head -20
	exit 1
fi
lines=$(wc -l <"$a")
if [ "$lines" -lt 100 ]; then
	echo "same_output: only $lines lines of output"
	exit 1
fi
echo "same_output: $lines identical lines"
tail -n 1 "$a"
