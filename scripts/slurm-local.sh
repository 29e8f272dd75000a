#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the cluster tests and bench (#14).
#
#   scripts/slurm-local.sh start DIR   # munged + slurmctld + slurmd, everything under DIR;
#                                      # prints `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm-local.sh stop DIR    # stops the three daemons by their pid files
#
# Needs root (slurmd runs jobs as their user; munged runs as user munge) and Debian's
# slurm-wlm and munge. Ports: a pair above 10000 (SLURM_LOCAL_PORT, default chosen at random).
set -euo pipefail
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
export PATH="$PATH:/usr/sbin:/sbin"

stop_pid() {
  local file=$1
  [ -f "$file" ] || return 0
  local pid
  pid=$(cat "$file" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

if [ "$cmd" = stop ]; then
  stop_pid "$dir/slurmd.pid"
  stop_pid "$dir/slurmctld.pid"
  stop_pid "$dir/munged.pid"
  if [ -f "$dir/munge-dir" ]; then
    rm -rf "$(cat "$dir/munge-dir")"
    rm -f "$dir/munge-dir"
  fi
  exit 0
fi
[ "$cmd" = start ] || { echo "$0: unknown command '$cmd' (start or stop)" >&2; exit 2; }

for bin in munged mungekey slurmctld slurmd sbatch squeue; do
  command -v "$bin" >/dev/null 2>&1 || { echo "$0: $bin not found (apt-get install slurm-wlm munge)" >&2; exit 3; }
done
[ "$(id -u)" = 0 ] || { echo "$0: needs root (slurmd, munged as user munge)" >&2; exit 3; }

mkdir -p "$dir"/{state,spool,log}
dir=$(cd "$dir" && pwd)
host=$(hostname -s)
port=${SLURM_LOCAL_PORT:-$((10000 + (RANDOM % 20000) * 2))}

# munge: its own key, socket and pid file (a system munged, if any, is left alone), in a
# folder of its own under /tmp: user munge may not be able to reach into DIR
munge=$(mktemp -d /tmp/nclens-munge.XXXXXX)
echo "$munge" >"$dir/munge-dir"
chown munge:munge "$munge"
chmod 700 "$munge"
mungekey -c -k "$munge/munge.key" >/dev/null
chown munge:munge "$munge/munge.key"
chmod 400 "$munge/munge.key"
runuser -u munge -- munged --key-file="$munge/munge.key" --socket="$munge/munge.sock" \
  --pid-file="$munge/munged.pid" --log-file="$munge/munged.log" \
  --seed-file="$munge/munged.seed" --force
for _ in $(seq 50); do [ -S "$munge/munge.sock" ] && break; sleep 0.1; done
cp "$munge/munged.pid" "$dir/munged.pid"
chmod 755 "$munge"

cat >"$dir/slurm.conf" <<EOF
ClusterName=nclens-local
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$munge/munge.sock
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=600
NodeName=$host CPUs=$(nproc) RealMemory=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF" -i
slurmd -f "$SLURM_CONF"
# ready when the node takes jobs
for _ in $(seq 100); do
  state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
  case "$state" in idle* | mix* | alloc*) break ;; esac
  sleep 0.2
done
case "${state:-}" in
  idle* | mix* | alloc*) ;;
  *) echo "$0: node $host not ready (state '${state:-none}'); logs in $dir/log" >&2; exit 1 ;;
esac
echo "export SLURM_CONF=$SLURM_CONF"
