#!/usr/bin/env bash
# The layers rule (docs/ARCHITECTURE.md): no two files of src/ call each
# other, directly or in a loop. First that tools/callgraph finds a circle
# where there is one (two files built here that call each other), then that
# the real build has none.
set -euo pipefail
repo=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/x" "$tmp/build/src/x/CMakeFiles/x.dir"
printf 'int b(int);\nint a(int v) { return v ? b(v - 1) : 0; }\n' >"$tmp/src/x/a.c"
printf 'int a(int);\nint b(int v) { return v ? a(v - 1) : 1; }\n' >"$tmp/src/x/b.c"
for f in a b; do
  cc -c "$tmp/src/x/$f.c" -o "$tmp/build/src/x/CMakeFiles/x.dir/$f.c.o"
done
if out=$("$repo/tools/callgraph" --build "$tmp/build" --root "$tmp"); then
  echo "FAIL: a.c and b.c call each other, callgraph saw no circle:"; echo "$out"; exit 1
fi
grep -q "circle of 2 files: src/x/a.c src/x/b.c" <<<"$out" ||
  { echo "FAIL: circle not named:"; echo "$out"; exit 1; }
echo "ok: the fixture's circle is found"
"$repo/tools/callgraph" --build "$build"
