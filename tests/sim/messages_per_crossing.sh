#!/usr/bin/env bash
# messages_per_crossing.sh SIM CARS MAX_PER_CAR ARGS...: runs SIM fault-free
# with CARS cars (rules) and fails unless the messages sent per crossing are
# at most MAX_PER_CAR x CARS (issue 15: detection that scales).
set -euo pipefail
sim=$1 cars=$2 max=$3
shift 3
out=$("$sim" --cars "$cars" "$@" 2>/dev/null)
sent=$(sed -n 's/^network: sent=\([0-9]*\).*/\1/p' <<<"$out")
rounds=$(sed -n 's/^seeds: .* rounds: \([0-9]*\)$/\1/p' <<<"$out")
[[ -n $sent && -n $rounds ]] || { echo "messages_per_crossing: no counts in the output" >&2; exit 1; }
awk -v s="$sent" -v r="$rounds" -v c="$cars" -v m="$max" 'BEGIN {
  per = s / (r * c)
  printf "%d cars: %.1f messages per crossing (at most %d x %d = %d)\n", c, per, m, c, m * c
  exit !(per <= m * c) }'
