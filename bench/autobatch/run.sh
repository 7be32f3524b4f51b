#!/usr/bin/env bash
# --batch auto against fixed batches on Fashion-MNIST's MLP 784-256-10 (docs/scaling.md, "--batch auto").
# Usage: bench/autobatch/run.sh OUT [TRAINER]   (TRAINER defaults to the Release build's trainer.dll)
# Every run trains 30 epochs (no early stopping); a finished run (its report.json) is not run again.
set -euo pipefail
out=${1:?output folder}
trainer=${2:-"dotnet $(cd "$(dirname "$0")/../.." && pwd)/src/Client/bin/Release/net10.0/trainer.dll"}
common=(--data fashion-mnist --epochs 30 --patience 0 --seed 42)
auto=(--batch auto --batch-min 64 --lr 0.1 --lr-scaling linear) # --lr 0.1 is for batch 256 under the linear rule: 0.025 at 64; AdaScale's gain scales it from there
mkdir -p "$out"
run() { local name=$1; shift; [ -f "$out/$name/report.json" ] || $trainer train "${common[@]}" "$@" --out "$out/$name" > "$out/$name.log" 2>&1; }

# one process: the reference trainer decides from its own step times; a two-silo cluster replays its schedule
run auto-local --cluster local "${auto[@]}"
run auto-replayed --cluster embedded:2 "${auto[@]}" --batch-schedule "$out/auto-local/report.json"
# a two-silo cluster decides from its step times (communication is a per-step cost); the reference trainer replays it
run auto-cluster --cluster embedded:2 "${auto[@]}"
run auto-cluster-replayed --cluster local "${auto[@]}" --batch-schedule "$out/auto-cluster/report.json"
# fixed batches on the same cluster, at three rates each
for lr in 0.05 0.1 0.2; do run fixed-256-lr$lr --cluster embedded:2 --batch 256 --lr $lr; done
for lr in 0.1 0.2 0.4; do run fixed-1024-lr$lr --cluster embedded:2 --batch 1024 --lr $lr; done
