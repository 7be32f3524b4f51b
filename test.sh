#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing, then runs them all.
#
# The tests use real components, from Debian's packages:
#   libopenblas0           the fast kernel (the managed one is tested too)
#   dataset-fashion-mnist  the headline data set
#   redis-server           membership for multi-process clusters (tests start their own on free loopback ports)
#   docker-compose         checks the compose file (no Docker engine needed)
#   kubernetes-client      kubectl renders the kustomize manifests (skipped when a kubectl is on PATH)
#   prometheus             a real Prometheus scrapes a silo's and a trainer's /metrics
#   chromium               headless, loads the dashboard while a job runs
# Nothing is left running: each test starts and stops its own servers.
set -euo pipefail
cd "$(dirname "$0")"

packages=(libopenblas0 dataset-fashion-mnist redis-server docker-compose prometheus chromium)
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)

missing=()
for package in "${packages[@]}"; do
  # installed, not merely known: a removed package keeps its configuration ("rc") and dpkg -s still succeeds
  [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ] || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: the tests need the Debian packages ${missing[*]}, and this machine has no apt-get; install their equivalents and run ./test.sh again" >&2
    exit 2
  fi
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "error: the tests need the Debian packages ${missing[*]}; run ./test.sh as root, or install them first: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
  echo "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
    echo "error: apt-get could not install ${missing[*]}; see its messages above" >&2
    exit 2
  fi
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the tests need the .NET 10 SDK ('dotnet' is not on PATH): https://dotnet.microsoft.com/download" >&2
  exit 2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test Distributed.sln -c Release 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One plain closing line over all test projects.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "tests: $passed passed, $failed failed"
exit "$status"
