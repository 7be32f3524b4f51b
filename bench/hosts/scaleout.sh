#!/usr/bin/env bash
# Scale-out on emulated hosts (hosts.sh): weak scaling of the product's sync cluster, one silo per
# host (Redis membership; Redis and the trainer in the root namespace), and of PyTorch DDP (gloo,
# one rank per host) where python3-torch is installed, each against its own single-host run
# (`--cluster local --partitions 1 --threads 1`, one rank) in the same emulated host.
#   efficiency = samples/s on N hosts / (N x samples/s on one host)
# Root only. Cleans up on exit, on Ctrl-C and on SIGTERM; a SIGKILLed run's hosts are removed by the
# next run (or: . bench/hosts/hosts.sh; hosts_down).
set -u
usage() {
  cat <<USAGE
usage: bench/hosts/scaleout.sh [options]
  --hosts N          hosts of the multi-host runs (default 2)
  --rates "R ..."    link rates: none (veth, no limit) or tc rates such as 10gbit 1gbit (default "none 10gbit 1gbit")
  --cpus C           vCPUs per host, e.g. 1 or 0.4 (a CPU quota; default 1)
  --rows "R ..."     rows per host per step (default "128 1024")
  --epochs E         epochs per run (default 2; samples/s is the report's, over all epochs)
  --data NAME        fashion-mnist (default) or digits (DDP runs only on fashion-mnist)
  --model KIND       mlp (default; 784-256-10) or lenet
  --no-ddp           leave out PyTorch DDP
  --trainer-on-host1 run the trainer inside host 1 (beside its silo, as DDP's rank 0 is) instead of the root namespace
  --options "..."    more options for the N-host run (and its --check-hash reference), e.g. "--ps-shards 2"
  --check-hash       also train --cluster local with each multi-host run's options and require the same weights
  --json FILE        also write the rows as JSON lines to FILE
USAGE
}
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
N=2; RATES="none 10gbit 1gbit"; CPUS=1; ROWS="128 1024"; EPOCHS=2; DATA=fashion-mnist; MODEL=mlp; DDP=1; CHECK=0; JSON=""; OPTIONS=""; ON=""
while [ $# -gt 0 ]; do
  case "$1" in
    --hosts) N=$2; shift 2 ;;
    --rates) RATES=$2; shift 2 ;;
    --cpus) CPUS=$2; shift 2 ;;
    --rows) ROWS=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --no-ddp) DDP=0; shift ;;
    --trainer-on-host1) ON="on_host 1"; shift ;;
    --check-hash) CHECK=1; shift ;;
    --options) OPTIONS=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option '$1' for bench/hosts/scaleout.sh (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$N" =~ ^[2-8]$ ]] || { echo "error: --hosts $N: expected 2 to 8" >&2; exit 2; }
[[ "$EPOCHS" =~ ^[1-9][0-9]*$ ]] || { echo "error: --epochs $EPOCHS: expected a positive whole number" >&2; exit 2; }
python3 -c "import sys; assert 0 < float(sys.argv[1]) <= 64" "$CPUS" 2>/dev/null || { echo "error: --cpus $CPUS: expected a number of vCPUs above 0, such as 1 or 0.4" >&2; exit 2; }
for r in $ROWS; do [[ "$r" =~ ^[1-9][0-9]*$ ]] || { echo "error: --rows '$r': expected positive whole numbers" >&2; exit 2; }; done
. "$HERE/hosts.sh"
why=$(hosts_check) || { echo "error: $why" >&2; exit 3; }
T=$ROOT/src/Client/bin/Release/net10.0/trainer; S=$ROOT/src/Silo/bin/Release/net10.0/Trainer.Silo
[ -x "$T" ] && [ -x "$S" ] || { echo "error: build first: dotnet build $ROOT/Distributed.sln -c Release" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "error: the cluster runs need redis-server (apt-get install redis-server)" >&2; exit 2; }
if [ $DDP = 1 ] && { [ "$DATA" != fashion-mnist ] || [ "$MODEL" != mlp ] || ! /usr/bin/python3 -c "import torch" 2>/dev/null; }; then
  echo "(DDP left out: it needs python3-torch, --data fashion-mnist and --model mlp)" >&2; DDP=0
fi

W=$(mktemp -d /tmp/scaleout.XXXXXX); PIDS=()
# the processes started here; those inside a host by their cgroup (a backgrounded on_host is a subshell)
stop_all() { local p; hosts_kill; for p in "${PIDS[@]:-}"; do [ -n "$p" ] && { kill -9 "$p"; wait "$p"; } 2>/dev/null; done; PIDS=(); }
cleanup() { stop_all; hosts_down; rm -rf "$W"; }
trap cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM
# runs a command in the background and waits for it: a signal's trap then runs at once, not after it
fg() { "$@" & local p=$!; PIDS+=($p); wait $p; }
export OMP_NUM_THREADS=1
recipe="--model $MODEL --data $DATA --epochs $EPOCHS --lr 0.1 --momentum 0.9 --val-fraction 0 --seed 1"
[ "$MODEL" = mlp ] && recipe="$recipe --hidden 256"
field() { python3 -c "
import json,sys; r=json.load(open(sys.argv[1])); v=r
for k in sys.argv[2].split('.'): v=v[k]
print(round(v,2) if isinstance(v,float) else v)" "$1" "$2" 2>/dev/null || echo 0; }
ddp_sps() { sed -n 's/.*samples_per_s=\([0-9]*\).*/\1/p' "$1" | tail -1; }
wait_ready() { # FILES... : every silo log says it is ready (60 s at most)
  local k; for k in $(seq 300); do
    [ "$(cat "$@" 2>/dev/null | grep -c 'silo ready')" -ge $# ] && return 0; sleep 0.2
  done; return 1
}
fail=0
printf "%-7s %5s %9s %9s %6s %8s %8s %8s %11s %9s %6s  %s\n" link rows "1 host" "$N hosts" eff computeMs commMs updateMs bytes/step ddp eff hash
for RATE in $RATES; do
  hosts_up $N $RATE $CPUS || { echo "error: could not make $N hosts at $RATE" >&2; exit 3; }
  redis-server --port 6397 --bind $HNET.1 --protected-mode no --save "" --appendonly no > $W/redis.log 2>&1 & PIDS+=($!)
  for R in $ROWS; do
    tag=$RATE-$R
    fg on_host 1 "$T" train --cluster local --partitions 1 --threads 1 --batch $R $recipe --out $W/one-$tag > $W/one-$tag.log 2>&1
    one=$(field $W/one-$tag/report.json samplesPerSecond)
    # a fresh cluster for every run: its cluster id keeps Redis's membership apart
    silos=()
    for i in $(seq 1 $N); do
      on_host $i "$S" --cluster redis://$HNET.1:6397 --cluster-id so-$tag --advertise $HNET.1$i --silo-port 11111 --gateway-port 30000 > $W/silo-$tag-$i.log 2>&1 & PIDS+=($!)
      silos+=($W/silo-$tag-$i.log)
    done
    if ! wait_ready "${silos[@]}"; then
      mkdir -p /tmp/scaleout-failed && cp $W/*.log /tmp/scaleout-failed/
      echo "error: the silos did not start: $(grep -h -m1 -E 'Unhandled|rror' "${silos[@]}" | head -1 | cut -c1-200) (logs in /tmp/scaleout-failed)" >&2; exit 4
    fi
    ORLEANS_CLUSTER_ID=so-$tag fg $ON "$T" train --cluster redis://$HNET.1:6397 --workers $N --batch $((R * N)) $recipe $OPTIONS --out $W/many-$tag > $W/many-$tag.log 2>&1
    many=$(field $W/many-$tag/report.json samplesPerSecond)
    [ "$many" = 0 ] && echo "  the $N-host run failed: $(tail -2 $W/many-$tag.log | tr '\n' ' ' | cut -c1-300)" >&2
    stop_all; PIDS=(); redis-server --port 6397 --bind $HNET.1 --protected-mode no --save "" --appendonly no > $W/redis.log 2>&1 & PIDS+=($!)
    hash=-
    if [ $CHECK = 1 ]; then
      fg "$T" train --cluster local --batch $((R * N)) $recipe $OPTIONS --out $W/ref-$tag > $W/ref-$tag.log 2>&1
      if [ "$(field $W/ref-$tag/report.json weightsSha256)" = "$(field $W/many-$tag/report.json weightsSha256)" ] && [ "$many" != 0 ]; then hash=same; else hash=DIFFERENT; fail=1; fi
    fi
    one_d=0; many_d=0
    if [ $DDP = 1 ]; then
      fg on_host 1 /usr/bin/python3 "$ROOT/bench/peers/torch_fmnist.py" mlp $EPOCHS $R 0.1 1 0.9 > $W/tone-$tag.log 2>&1
      one_d=$(ddp_sps $W/tone-$tag.log); one_d=${one_d:-0}
      dp=()
      for i in $(seq 1 $N); do
        RANK=$((i - 1)) WORLD_SIZE=$N MASTER_ADDR=$HNET.11 MASTER_PORT=29500 GLOO_SOCKET_IFNAME=etrh$i \
          on_host $i /usr/bin/python3 "$ROOT/bench/peers/torch_ddp_fmnist.py" $N $EPOCHS $((R * N)) 0.1 0.9 > $W/tmany-$tag-$i.log 2>&1 & dp+=($!); PIDS+=($!)
      done
      for p in "${dp[@]}"; do wait $p; done
      many_d=$(ddp_sps $W/tmany-$tag-1.log); many_d=${many_d:-0}
    fi
    python3 - "$RATE" "$R" "$N" "$one" "$many" "$one_d" "$many_d" "$hash" "$JSON" \
      "$(field $W/many-$tag/report.json stepTime.computeMs)" "$(field $W/many-$tag/report.json stepTime.communicationMs)" \
      "$(field $W/many-$tag/report.json stepTime.updateMs)" "$(field $W/many-$tag/report.json bytesPerStep)" "$CPUS" "$MODEL" "$DATA" <<'PY'
import json, sys
rate, rows, n, one, many, one_d, many_d, hash_, out, comp, comm, upd, bytes_, cpus, model, data = sys.argv[1:]
rows, n = int(rows), int(n); one, many, one_d, many_d = map(float, (one, many, one_d, many_d))
eff = many / (n * one) if one else 0; eff_d = many_d / (n * one_d) if one_d else 0
ddp = f"{many_d:>9.0f} {eff_d:>6.2f}" if one_d else f"{'-':>9} {'-':>6}"
print(f"{rate:<7} {rows:>5} {one:>9.0f} {many:>9.0f} {eff:>6.2f} {float(comp):>8.2f} {float(comm):>8.2f} {float(upd):>8.2f} {int(float(bytes_)):>11,} {ddp}  {hash_}")
if out:
    with open(out, "a") as f:
        f.write(json.dumps(dict(link=rate, rowsPerHost=rows, hosts=n, cpusPerHost=float(cpus), model=model, data=data,
            oneHost=one, manyHosts=many, efficiency=round(eff, 3), computeMs=float(comp), communicationMs=float(comm),
            updateMs=float(upd), bytesPerStep=int(float(bytes_)), ddpOneHost=one_d or None, ddpManyHosts=many_d or None,
            ddpEfficiency=round(eff_d, 3) if one_d else None, hash=hash_)) + "\n")
PY
  done
  stop_all; hosts_down
done
exit $fail
