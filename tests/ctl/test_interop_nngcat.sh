#!/usr/bin/env bash
# The wire is plain protobuf over nng: a Status request sent to a live node
# with nngcat (nng-utils), its reply decoded by Google's protoc --decode with
# proto/xroad.proto. Our frame adds a 4-byte header (docs/NET.md, Frames):
# 'X' 'R' version method, which the test writes and strips by hand.
set -euo pipefail
src=${XROAD_SOURCE_DIR:?} build=${XROAD_BUILD_DIR:?}
command -v nngcat >/dev/null || { echo "nngcat missing (apt-get install nng-utils)"; exit 1; }
command -v protoc >/dev/null || { echo "protoc missing (apt-get install protobuf-compiler)"; exit 1; }
. "$src/tools/lib/cluster.sh"
dir=$(mktemp -d /tmp/xr-interop.XXXXXX)
cleanup() { xr_stop_all "$dir" 4 >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
printf 'straight 1\n' >"$dir/routes.txt"
xr_write_config "$dir" interop 4 0 0 star tcp "$dir/routes.txt"
for i in 0 1 2 3 4; do xr_start "$build" "$dir" "$i"; done
addr=$(awk '$1=="node" && $2=="2" {print $5}' "$dir/cluster.conf")
# Status is method 1 of xroad.Node; StatusRequest has no fields: no body.
printf 'XR\001\001' >"$dir/req.bin"
for _ in $(seq 50); do
  if nngcat --req0 --dial "$addr" --file "$dir/req.bin" --raw --recv-timeout 2 >"$dir/reply.bin" 2>/dev/null && [[ -s $dir/reply.bin ]]; then
    break
  fi
  sleep 0.1
done
[[ -s $dir/reply.bin ]] || { echo "FAIL: no reply from $addr"; exit 1; }
head -c 4 "$dir/reply.bin" | od -An -tx1
[[ $(head -c 2 "$dir/reply.bin") == XR ]] || { echo "FAIL: reply has no XR header"; exit 1; }
tail -c +5 "$dir/reply.bin" | protoc --decode=xroad.StatusReply -I"$src/proto" "$src/proto/xroad.proto" >"$dir/reply.txt"
cat "$dir/reply.txt"
grep -q "id: 2" "$dir/reply.txt" || { echo "FAIL: protoc decoded no node id 2"; exit 1; }
echo "test_interop_nngcat: ok"
