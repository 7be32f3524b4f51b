#!/usr/bin/env bash
# Emulated hosts on one machine, for scale-out benchmarks (source it; root only).
# Host i is a network namespace trh<i> with address $HNET.1<i> on a bridge in the root namespace
# ($HNET.1), its link limited by tc tbf in both directions, its processes confined to a CPU cgroup
# (a quota of CPUS vCPUs, pinned to one vCPU; hosts alternate between the machine's vCPUs).
#   hosts_up N RATE CPUS   RATE: none, or tc's form (10gbit, 1gbit, 500mbit); CPUS: e.g. 1 or 0.4
#   on_host I CMD...       runs CMD inside host I (background it with &)
#   hosts_kill             kills every process inside the hosts
#   hosts_down             removes every host, its processes and the bridge (also what a killed run left)
HNET=${HNET:-10.79.0}; HBR=${HBR:-trhbr0}; HPERIOD=${HPERIOD:-5000}  # a short quota period: less jitter for fractional CPUs
MAX_HOSTS=8

# cgroup v1 (cpu and cpuset hierarchies) or v2 (one unified hierarchy)
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then CG_V2=1; else CG_V2=0; fi
cg_dirs() { # the cgroup folders of host $1
  if [ $CG_V2 = 1 ]; then echo /sys/fs/cgroup/trh$1; else echo /sys/fs/cgroup/cpu/trh$1 /sys/fs/cgroup/cpuset/trh$1; fi
}

hosts_kill() { # kills every process running in a host, and waits until they are gone (5 s at most)
  local i d p
  for _ in $(seq 50); do
    local left=0
    for i in $(seq 1 $MAX_HOSTS); do
      for d in $(cg_dirs $i); do
        for p in $(cat $d/cgroup.procs 2>/dev/null); do kill -9 $p 2>/dev/null; left=1; done
      done
    done
    [ $left = 0 ] && return 0
    sleep 0.1
  done
}

hosts_down() {
  local i d
  hosts_kill
  for i in $(seq 1 $MAX_HOSTS); do
    for d in $(cg_dirs $i); do
      # a killed process leaves its cgroup a moment later: wait for it (at most 5 s)
      for _ in $(seq 50); do [ -d $d ] || break; rmdir $d 2>/dev/null && break; sleep 0.1; done
    done
    ip netns del trh$i 2>/dev/null; ip link del vtrh$i 2>/dev/null
  done
  ip link del $HBR 2>/dev/null
  return 0
}

hosts_check() { # says in one line why hosts cannot be made here, or nothing
  [ "$(id -u)" = 0 ] || { echo "emulated hosts need root (network namespaces, tc, cgroups)"; return 1; }
  for tool in ip tc; do command -v $tool >/dev/null || { echo "emulated hosts need '$tool' (apt-get install iproute2)"; return 1; }; done
  ip netns add trhprobe 2>/dev/null || { echo "this machine does not allow network namespaces (ip netns add failed)"; return 1; }
  ip netns del trhprobe
  if [ $CG_V2 = 0 ] && { [ ! -d /sys/fs/cgroup/cpu ] || [ ! -d /sys/fs/cgroup/cpuset ]; }; then
    echo "emulated hosts need the cgroup cpu and cpuset controllers (/sys/fs/cgroup/cpu, /sys/fs/cgroup/cpuset)"; return 1
  fi
}

hosts_up() { # N RATE CPUS
  local n=$1 rate=$2 cpus=$3 i bytes burst d quota vcpu
  [ "$n" -ge 1 ] && [ "$n" -le $MAX_HOSTS ] || { echo "hosts: 1 to $MAX_HOSTS, not $n" >&2; return 1; }
  hosts_down
  ip link add $HBR type bridge && ip addr add $HNET.1/24 dev $HBR && ip link set $HBR up || return 1
  if [ "$rate" != none ]; then
    # burst: 2 ms at the link rate, at least 64 KB (veth sends GSO super-packets)
    bytes=$(python3 -c "import re,sys; m=re.fullmatch(r'([0-9.]+)([kmg]?)bit',sys.argv[1]); print(int(float(m[1])*{'':1,'k':1e3,'m':1e6,'g':1e9}[m[2]]/8))" "$rate") \
      || { echo "link rate '$rate': expected none or a rate such as 10gbit, 1gbit, 500mbit" >&2; return 1; }
    burst=$(( bytes / 500 )); [ $burst -lt 65536 ] && burst=65536
  fi
  quota=$(python3 -c "import sys; print(int(float(sys.argv[1])*$HPERIOD))" "$cpus")
  [ $CG_V2 = 1 ] && echo "+cpu +cpuset" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
  for i in $(seq 1 $n); do
    ip netns add trh$i && ip link add vtrh$i type veth peer name etrh$i && ip link set etrh$i netns trh$i || return 1
    ip link set vtrh$i master $HBR; ip link set vtrh$i up
    ip -n trh$i addr add $HNET.1$i/24 dev etrh$i; ip -n trh$i link set etrh$i up; ip -n trh$i link set lo up
    if [ "$rate" != none ]; then
      tc qdisc add dev vtrh$i root tbf rate $rate burst $burst latency 20ms || return 1
      ip netns exec trh$i tc qdisc add dev etrh$i root tbf rate $rate burst $burst latency 20ms || return 1
    fi
    # the machine's vCPUs, not nproc's answer alone: nproc honours OMP_NUM_THREADS (scaleout.sh sets 1),
    # which once put every host on vCPU 0
    vcpu=$(( (i - 1) % $(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) ))
    if [ $CG_V2 = 1 ]; then
      d=/sys/fs/cgroup/trh$i; mkdir -p $d
      echo "$quota $HPERIOD" > $d/cpu.max; echo $vcpu > $d/cpuset.cpus
    else
      mkdir -p /sys/fs/cgroup/cpu/trh$i /sys/fs/cgroup/cpuset/trh$i
      echo $HPERIOD > /sys/fs/cgroup/cpu/trh$i/cpu.cfs_period_us
      echo $quota > /sys/fs/cgroup/cpu/trh$i/cpu.cfs_quota_us
      echo $vcpu > /sys/fs/cgroup/cpuset/trh$i/cpuset.cpus
      cat /sys/fs/cgroup/cpuset/cpuset.mems > /sys/fs/cgroup/cpuset/trh$i/cpuset.mems
    fi
  done
}

on_host() { # I CMD...
  local i=$1; shift
  local dirs; dirs=$(cg_dirs $i)
  sh -c 'for d in '"$dirs"'; do echo $$ > $d/cgroup.procs; done; exec ip netns exec trh'$i' "$@"' sh "$@"
}
