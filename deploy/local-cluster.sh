#!/usr/bin/env bash
# A local multi-process cluster on loopback: N silo processes (src/Silo), optionally with a Redis
# membership table, and the trainer command to use against them.
#
#   deploy/local-cluster.sh start N [--redis]   build the silo, start N silos (and redis-server), wait until ready
#   deploy/local-cluster.sh status              which silos are running
#   deploy/local-cluster.sh stop                stop them (SIGTERM: silos leave the cluster cleanly)
#
# Ports: silo i listens on SILO_PORT_BASE+i and serves clients on GATEWAY_PORT_BASE+i
# (defaults 11111 and 30000); Redis on REDIS_PORT (default 6380). State and logs: TRAINER_CLUSTER_DIR.
# The silos read the built-in data sets, and files under TRAINER_DATA_ROOT (folders separated by ':'),
# which they take from this script's environment like every TRAINER_* setting.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state=${TRAINER_CLUSTER_DIR:-/tmp/trainer-local-cluster}
silo_base=${SILO_PORT_BASE:-11111}
gateway_base=${GATEWAY_PORT_BASE:-30000}
redis_port=${REDIS_PORT:-6380}

die() { echo "error: $*" >&2; exit 2; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_ready() { # log file, deadline in seconds
  local log=$1 deadline=$((SECONDS + $2))
  until grep -q "silo ready" "$log" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "error: silo did not start; its log ($log):" >&2; tail -20 "$log" >&2; exit 4; }
    sleep 0.2
  done
}

start() {
  local n=${1:-}; shift || true
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "start needs the number of silos, e.g. 'start 3'"
  local redis=false
  for arg in "$@"; do
    case $arg in --redis) redis=true ;; *) die "unknown option '$arg' (expected --redis)" ;; esac
  done
  ls "$state"/silo-*.pid >/dev/null 2>&1 && for p in "$state"/silo-*.pid; do alive "$p" && die "a cluster is already running; '$0 stop' first"; done
  mkdir -p "$state"
  rm -f "$state"/*.pid "$state"/*.log

  echo "building the silo ..."
  dotnet build "$root/src/Silo" -c Release -o "$state/bin" -v quiet -nologo >"$state/build.log" 2>&1 || { tail -20 "$state/build.log" >&2; exit 1; }

  local cluster=localhost
  if $redis; then
    command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install redis-server)"
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
      --pidfile "$state/redis.pid" --logfile "$state/redis.log"
    local deadline=$((SECONDS + 10))
    until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || die "redis-server did not start (see $state/redis.log)"
      sleep 0.1
    done
    cluster="redis://127.0.0.1:$redis_port"
  fi

  local gateways=()
  for ((i = 0; i < n; i++)); do
    local args=(--cluster "$cluster" --silo-port $((silo_base + i)) --gateway-port $((gateway_base + i)))
    [ "$cluster" = localhost ] && [ $i -gt 0 ] && args+=(--primary "127.0.0.1:$silo_base")
    nohup dotnet "$state/bin/Trainer.Silo.dll" "${args[@]}" >"$state/silo-$i.log" 2>&1 &
    echo $! >"$state/silo-$i.pid"
    wait_ready "$state/silo-$i.log" 60
    gateways+=($((gateway_base + i)))
    echo "silo $i ready: silo port $((silo_base + i)), gateway port $((gateway_base + i)), pid $(cat "$state/silo-$i.pid")"
  done

  local spec
  if $redis; then spec=$cluster; else spec="localhost:$(IFS=,; echo "${gateways[*]}")"; fi
  echo "$spec" >"$state/cluster"
  echo
  echo "train on it with:"
  echo "  dotnet run --project src/Client -c Release -- train --cluster $spec"
}

status() {
  [ -f "$state/cluster" ] || { echo "no local cluster (started with '$0 start N')"; return 0; }
  echo "cluster $(cat "$state/cluster")"
  for p in "$state"/silo-*.pid; do
    local name; name=$(basename "$p" .pid)
    if alive "$p"; then echo "  $name: running (pid $(cat "$p"))"; else echo "  $name: stopped"; fi
  done
  if [ -f "$state/redis.pid" ]; then
    if alive "$state/redis.pid"; then echo "  redis: running (pid $(cat "$state/redis.pid"))"; else echo "  redis: stopped"; fi
  fi
}

stop() {
  for p in "$state"/silo-*.pid; do
    [ -f "$p" ] || continue
    alive "$p" && kill -TERM "$(cat "$p")"
  done
  for p in "$state"/silo-*.pid; do
    [ -f "$p" ] || continue
    local deadline=$((SECONDS + 30))
    while alive "$p" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    alive "$p" && kill -KILL "$(cat "$p")"
    rm -f "$p"
  done
  if [ -f "$state/redis.pid" ]; then
    local pid; pid=$(cat "$state/redis.pid")
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    rm -f "$state/redis.pid"
  fi
  rm -f "$state/cluster"
  echo "stopped"
}

case ${1:-} in
  start) shift; start "$@" ;;
  status) status ;;
  stop) stop ;;
  *) echo "usage: $0 start N [--redis] | status | stop" >&2; exit 2 ;;
esac
