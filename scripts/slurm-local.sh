#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for testing `cargo xtask replicate --slurm`
# (docs/cluster.md): installs slurm-wlm, munge, slurmdbd and mariadb-server from Debian's
# packages, writes a slurm.conf with one node of NCPUS CPUs (default 2) and job accounting (so
# that `sacct` works), and starts mariadbd, munged, slurmdbd, slurmctld and slurmd as root
# without systemd. `scripts/slurm-local.sh stop` stops them. Idempotent.
set -euo pipefail
NCPUS="${NCPUS:-2}"
if [ "${1:-}" = stop ]; then
    pkill -x slurmd || true
    pkill -x slurmctld || true
    pkill -x slurmdbd || true
    pkill -x munged || true
    mysqladmin -u root shutdown 2>/dev/null || true
    exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
if ! command -v slurmctld >/dev/null || ! command -v slurmdbd >/dev/null \
    || ! command -v munged >/dev/null || ! command -v mysqld_safe >/dev/null; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq slurm-wlm slurmdbd munge mariadb-server
fi
host="$(hostname -s)"
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
$sudo mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /var/lib/munge /var/log/munge
$sudo tee /etc/slurm/slurm.conf >/dev/null <<CONF
ClusterName=socbench-local
SlurmctldHost=${host}
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmUser=root
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
KillWait=30
MinJobAge=3600
NodeName=${host} CPUs=${NCPUS} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
if [ ! -s /etc/munge/munge.key ]; then
    $sudo mkdir -p /etc/munge
    $sudo dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
$sudo chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
$sudo chmod 0700 /etc/munge && $sudo chmod 0400 /etc/munge/munge.key
pgrep -x munged >/dev/null || $sudo -u munge /usr/sbin/munged 2>/dev/null || $sudo /usr/sbin/munged --force
# Accounting: MariaDB and slurmdbd, for sacct.
if ! pgrep -x mariadbd >/dev/null && ! pgrep -x mysqld >/dev/null; then
    $sudo mkdir -p /run/mysqld && $sudo chown mysql:mysql /run/mysqld
    ($sudo mysqld_safe >/var/log/slurm/mysqld.log 2>&1 &)
    for _ in $(seq 1 30); do $sudo mysqladmin -u root status >/dev/null 2>&1 && break; sleep 1; done
fi
$sudo mysql -u root -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db; \
    CREATE OR REPLACE USER 'slurm'@'localhost' IDENTIFIED BY 'socbench-local'; \
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
$sudo tee /etc/slurm/slurmdbd.conf >/dev/null <<CONF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=socbench-local
StorageLoc=slurm_acct_db
PidFile=/run/slurmdbd.pid
LogFile=/var/log/slurm/slurmdbd.log
CONF
$sudo chmod 600 /etc/slurm/slurmdbd.conf
pgrep -x slurmdbd >/dev/null || $sudo /usr/sbin/slurmdbd
for _ in $(seq 1 30); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 1; done
clusters="$(sacctmgr -n -P list cluster format=cluster 2>/dev/null || true)"
case "$clusters" in
    *socbench-local*) ;;
    *) $sudo sacctmgr -i add cluster socbench-local >/dev/null ;;
esac
pgrep -x slurmctld >/dev/null || $sudo /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || $sudo /usr/sbin/slurmd
for _ in $(seq 1 30); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE 'idle|mixed|allocated'; then
        sinfo
        exit 0
    fi
    sleep 1
done
echo "slurm-local: the node did not come up; see /var/log/slurm/" >&2
sinfo || true
exit 1
