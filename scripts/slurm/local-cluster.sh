#!/usr/bin/env bash
# A one-node Slurm cluster on localhost for the tests: Debian's slurmctld, slurmd, slurm-client and
# munge, without systemd or cgroups. `local-cluster.sh start` installs what is missing, writes the
# configuration, starts munged, slurmctld and slurmd and waits until the node is idle;
# `local-cluster.sh stop` stops them by the PIDs in their pid files and removes the pid files (a stale
# one breaks package removal). Idempotent. Needs root.
set -euo pipefail
cmd=${1:-start}
conf=/etc/slurm/slurm.conf
run=/run/vidpipe-slurm

stop() {
  for f in "$run"/slurmd.pid "$run"/slurmctld.pid /run/munge/munged.pid; do
    if [ -f "$f" ]; then
      pid=$(cat "$f")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$f"
    fi
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi

packages=(slurmctld slurmd slurm-client munge)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "slurm: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stop
mkdir -p "$run" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
chown slurm: /var/spool/slurmctld "$run" /var/log/slurm
chown munge: /run/munge
chmod 0755 "$run"
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
chown munge: /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
cat > "$conf" <<CONF
ClusterName=vidpipe-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$run/slurmctld.pid
SlurmdPidFile=$run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MinJobAge=300
KillWait=10
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

# The daemons get no terminal and none of our output streams (a caller reading them to the end
# would wait for the daemons to exit).
runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid </dev/null >/dev/null 2>&1 \
  || /usr/sbin/munged -f --pid-file=/run/munge/munged.pid </dev/null >/dev/null 2>&1
/usr/sbin/slurmctld -i </dev/null >/dev/null 2>&1
/usr/sbin/slurmd -N localhost </dev/null >/dev/null 2>&1
for _ in $(seq 100); do
  state=$(sinfo -h -N -o %T 2>/dev/null | head -1 || true)
  case $state in idle*|mixed*|allocated*) echo "slurm: node localhost $state" >&2; exit 0 ;; esac
  sleep 0.1
done
echo "slurm: the node did not come up; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
sinfo -N >&2 || true
exit 1
