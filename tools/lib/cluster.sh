# Shared by tools/demo, tests/integration and bench: write a cluster
# configuration, start and stop the node processes, read their logs.
# Source it; it defines xr_* shell functions and never exits on its own.

# xr_free_port_pair: prints a tcp port P on 127.0.0.1 with P and P+1 free.
xr_free_port_pair() {
  python3 - <<'PY'
import socket, random
for _ in range(200):
    p = random.randint(20000, 60000) & ~1
    ok = True
    socks = []
    for q in (p, p + 1):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", q))
        except OSError:
            ok = False
        socks.append(s)
    for s in socks:
        s.close()
    if ok:
        print(p)
        break
PY
}

# xr_write_config DIR RUN CARS ROUNDS CROSS_MS TOPOLOGY TRANSPORT ROUTES [SEED] [STALL_MS]
# Writes DIR/cluster.conf; ipc sockets live in DIR/sock (DIR must be short).
xr_write_config() {
  local dir=$1 run=$2 cars=$3 rounds=$4 cross=$5 topo=$6 transport=$7 routes=$8
  local seed=${9:-42} stall=${10:-1000}
  local approaches=(S E N W) addr i base
  mkdir -p "$dir/sock"
  {
    echo "# written by tools/lib/cluster.sh"
    echo "run       = $run"
    echo "seed      = $seed"
    echo "topology  = $topo"
    echo "routes    = $routes"
    echo "cloud     = embedded"
    echo "state_dir = state"
    echo "rounds    = $rounds"
    echo "cross_ms  = $cross"
    echo "resend_ms = 50"
    echo "stall_ms  = $stall"
    echo
    if [[ $transport == tcp ]]; then
      base=$(xr_free_port_pair)
    fi
    for ((i = 0; i <= cars; i++)); do
      if [[ $transport == tcp ]]; then
        if ((i > 0)); then base=$(xr_free_port_pair); fi
        addr="tcp://127.0.0.1:$base"
      else
        addr="ipc://$dir/sock/n$i"
      fi
      if ((i == 0)); then
        echo "node $i light - $addr"
      else
        echo "node $i car ${approaches[$(((i - 1) % 4))]} $addr"
      fi
    done
  } >"$dir/cluster.conf"
}

# xr_start BUILD DIR ID [extra xroad args...]: starts node ID, log in
# DIR/nID.log, pid in DIR/nID.pid.
xr_start() {
  local build=$1 dir=$2 id=$3
  shift 3
  # stdout too: a cluster left running must not hold the caller's pipes.
  "$build/xroad" --config "$dir/cluster.conf" --id "$id" "$@" >>"$dir/n$id.log" 2>&1 </dev/null &
  echo $! >"$dir/n$id.pid"
}

# xr_stop DIR ID [SIGNAL]: signals node ID and waits up to 10 s for it.
xr_stop() {
  local dir=$1 id=$2 sig=${3:-TERM} pid
  [[ -f $dir/n$id.pid ]] || return 0
  pid=$(cat "$dir/n$id.pid")
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$dir/n$id.pid"
}

# xr_stop_all DIR CARS: cars first (their last reports), then the light (it
# drains the queue into the table).
xr_stop_all() {
  local dir=$1 cars=$2 i pids=()
  for ((i = 1; i <= cars; i++)); do
    xr_stop "$dir" "$i" TERM &
    pids+=($!)
  done
  wait "${pids[@]}" 2>/dev/null || true
  xr_stop "$dir" 0 TERM
}

# xr_alive DIR ID: true when node ID runs.
xr_alive() {
  [[ -f $1/n$2.pid ]] && kill -0 "$(cat "$1/n$2.pid")" 2>/dev/null
}
