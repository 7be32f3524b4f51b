#!/usr/bin/env bash
# Runs test classes again and again under load and counts: a test that fails one run in twenty is a
# defect, and this is how it is found and how its fix is shown.
#
#   tests/soak.sh [--runs N] [--no-load] [--filter F]...
#
# Default: 20 runs of the elastic and process-fault classes (the tests where silos come and go),
# while the client tests run in a loop beside them, as they do in the full suite (dotnet test runs
# the three test projects at once). A failed run's output is kept under the folder it prints.
# Needs the packages ./test.sh installs; run ./test.sh once first on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=20 load=1 filters=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --no-load) load=0; shift ;;
    --filter) filters+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: tests/soak.sh: unknown option '$1' (--runs N, --no-load, --filter F)" >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "error: tests/soak.sh: --runs takes a positive whole number, not '$runs'" >&2; exit 2; }
[ ${#filters[@]} -gt 0 ] || filters=("FullyQualifiedName~ElasticClusterTests" "FullyQualifiedName~ProcessFaultTests")
filter=$(IFS='|'; echo "${filters[*]}")

logs=$(mktemp -d /tmp/trainer-soak.XXXXXX)
set -m # every background job gets its own process group: one kill stops it with its test hosts, silos and servers
loader="" current=""
cleanup() {
  for group in $loader $current; do kill -- -"$group" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dotnet build Distributed.sln -c Release -v q -nologo >"$logs/build.log" 2>&1 || { echo "error: the build failed; see $logs/build.log" >&2; exit 1; }
if [ "$load" = 1 ]; then
  ( while true; do dotnet test tests/Client.Tests -c Release --no-build >/dev/null 2>&1 || true; done ) &
  loader=$!
fi

passed=0 failed=0
for run in $(seq 1 "$runs"); do
  start=$(date +%s)
  dotnet test tests/Grains.Tests -c Release --no-build --filter "$filter" >"$logs/run-$run.log" 2>&1 &
  current=$!
  if wait "$current"; then
    passed=$((passed + 1)); outcome=passed; rm -f "$logs/run-$run.log"
  else
    failed=$((failed + 1)); outcome="FAILED ($(grep -cE '^\s+Failed ' "$logs/run-$run.log" || true) tests; $logs/run-$run.log)"
  fi
  echo "run $run/$runs: $outcome in $(( $(date +%s) - start )) s"
done
[ "$load" = 1 ] && beside="the client tests as load" || beside="no load"
echo "soak: $passed of $runs runs passed ($filter; $beside)"
[ "$failed" -eq 0 ]
