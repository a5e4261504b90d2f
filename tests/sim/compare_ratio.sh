#!/usr/bin/env bash
# compare_ratio.sh SIM MAX ARGS...: runs SIM ARGS (a --compare-light run) and
# fails unless xroad's mean delay is at most MAX times the fixed light's.
set -euo pipefail
sim=$1 max=$2
shift 2
out=$("$sim" "$@")
echo "$out"
x=$(awk '$1 == "xroad" {print $5}' <<<"$out")
f=$(awk '$1 == "fixed-light" {print $5}' <<<"$out")
[[ -n $x && -n $f ]] || { echo "compare_ratio: no mean delays in the output" >&2; exit 1; }
awk -v x="$x" -v f="$f" -v m="$max" 'BEGIN {
  r = x / f; printf "xroad / fixed light = %.3f (at most %s)\n", r, m
  exit !(r <= m) }'
