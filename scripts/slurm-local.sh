#!/usr/bin/env bash
# scripts/slurm-local.sh start|stop|status
# A real single-node Slurm 22.05 cluster on this machine, for tests and CI (Debian 12, root, no systemd needed):
#
#   start   installs the pinned Debian packages if missing (munge, slurmctld, slurmd, slurm-client, slurmdbd and
#           a bare MariaDB server for accounting), writes a munge key, slurm.conf, slurmdbd.conf and my.cnf into
#           the state folder, starts munged, mariadbd, slurmdbd, slurmctld and slurmd as plain background
#           processes (no systemctl) and waits until the node is idle and the accounting database answers.
#           A second start while everything is up is a no-op; after a partial crash it stops the survivors and
#           starts again, keeping the state folder (job history, database, munge key).
#   stop    cancels this cluster's jobs, then stops exactly the daemons this script started (pid files in the
#           state folder), in reverse order; idempotent.
#   status  says whether the cluster is up and shows sinfo and squeue (exit 0 up, 1 down or partly up).
#
# Callers `source "$SLURM_LOCAL_DIR/env"` (written by start) to get SLURM_CONF, after which sbatch, squeue,
# scontrol and sacct talk to this cluster. docs/slurm.md describes the configuration and the measured timings.
#
# Environment:
#   SLURM_LOCAL_DIR      state folder (config, logs, spool, pid files, database)   [/tmp/cottention-slurm]
#   SLURM_LOCAL_PORT     slurmctld port; slurmd uses +1, slurmdbd +2, MariaDB +3    [6817]
#   SLURM_LOCAL_TIMEOUT  seconds to wait for each daemon to come up                  [60]
#
# Exit codes: 0 ok; 1 the cluster cannot be brought up (one line, then the daemons' log tails on stderr);
#             2 bad usage; 3 the packages are missing and cannot be installed, or not root (one line
#             "slurm-local: cannot ...; skipping"): callers such as CI skip the Slurm checks then.
set -euo pipefail

STATE="${SLURM_LOCAL_DIR:-/tmp/cottention-slurm}"
PORT="${SLURM_LOCAL_PORT:-6817}"
TIMEOUT="${SLURM_LOCAL_TIMEOUT:-60}"
CLUSTER=cottention
PARTITION=local

# Exact versions: Debian 12 (bookworm) main, as `apt-cache policy` showed them on 2026-12-01. apt only installs
# them after checking the repository's signed InRelease file (Debian archive keys) and each .deb's SHA256
# against the signed Packages index, so no checksums are repeated here. Dependencies that a stock Debian 12
# image lacks are pinned as well; a package already installed is kept at whatever version it has.
SLURM_VERSION=22.05.8-4+deb12u3
MUNGE_VERSION=0.5.15-2+deb12u1
MARIADB_VERSION=1:10.11.18-0+deb12u1
PACKAGES=(
  "munge=$MUNGE_VERSION" "libmunge2=$MUNGE_VERSION"
  "slurm-client=$SLURM_VERSION" "slurmctld=$SLURM_VERSION" "slurmd=$SLURM_VERSION" "slurmdbd=$SLURM_VERSION"
  "slurm-wlm-basic-plugins=$SLURM_VERSION" "slurm-wlm-mysql-plugin=$SLURM_VERSION"
  "mariadb-server-core=$MARIADB_VERSION" "mariadb-client-core=$MARIADB_VERSION"
  "mariadb-common=$MARIADB_VERSION" "libmariadb3=$MARIADB_VERSION" "mysql-common=5.8+1.1.0"
  "libhwloc15=2.9.0-1" "liblua5.1-0=5.1.5-9" "libaio1=0.3.113-4" "liburing2=2.3-3"
)

# Daemons in start order; stop goes the other way. Each has $STATE/run/NAME.pid and its log in $STATE/log.
DAEMONS=(munged mariadbd slurmdbd slurmctld slurmd)

ETC="$STATE/etc" RUN="$STATE/run" LOG="$STATE/log"
MUNGE_SOCKET="$STATE/munge/munge.socket.2"
DB_SOCKET="$STATE/db/mysqld.sock"
export SLURM_CONF="$ETC/slurm.conf"

say() { echo "slurm-local: $*"; }

usage_error() {
  echo "slurm-local: $1 (valid: start, stop, status)" >&2
  exit 2
}

now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

pid_of() { # NAME -> the pid from its pid file if that process is alive and is NAME, else nothing
  local f="$RUN/$1.pid" pid
  [[ -s "$f" ]] || return 0
  pid="$(tr -dc 0-9 < "$f")"
  [[ -n "$pid" && -r "/proc/$pid/comm" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$1" ]] && echo "$pid"
  return 0
}

# slurmstepd processes of this cluster's jobs: slurmd starts them with its log folder as working directory.
stepd_pids() {
  local p
  for p in $(pgrep -x slurmstepd 2>/dev/null || true); do
    [[ "$(readlink "/proc/$p/cwd" 2>/dev/null)" == "$STATE/"* ]] && echo "$p"
  done
  return 0
}

log_tails() {
  local f
  for f in munged.log mariadb.log slurmdbd.log slurmctld.log slurmd.log; do
    [[ -s "$LOG/$f" ]] || continue
    echo "--- $LOG/$f (last 15 lines)"
    tail -n 15 "$LOG/$f"
  done >&2
}

fail() { # stops whatever did start, then one line and the daemons' log tails
  stop_daemons >/dev/null 2>&1 || true
  echo "slurm-local: cannot bring up the cluster: $*" >&2
  log_tails
  exit 1
}

alive() { [[ -d "/proc/$1" && "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

child_pid="" # the pid of a daemon started here in the background (mariadbd), before it writes its pid file

wait_for() { # DESCRIPTION DAEMON COMMAND...: until COMMAND succeeds; fails early if DAEMON died
  local desc="$1" daemon="$2" deadline=$((SECONDS + TIMEOUT)) pf
  shift 2
  pf="$RUN/$daemon.pid"
  until "$@" >/dev/null 2>&1; do
    if [[ -s "$pf" && -z "$(pid_of "$daemon")" ]]; then fail "$daemon exited ($desc)"; fi
    if [[ -n "$child_pid" ]] && ! alive "$child_pid"; then fail "$daemon exited ($desc)"; fi
    ((SECONDS < deadline)) || fail "$desc: not ready after ${TIMEOUT}s"
    sleep 0.2
  done
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------------------------------------------- packages
install_packages() {
  local spec pkg want have missing=() log="$LOG/apt.log" created_policy=""
  for spec in "${PACKAGES[@]}"; do
    pkg="${spec%%=*}" want="${spec#*=}"
    have="$(dpkg-query -W -f='${db:Status-Abbrev}|${Version}' "$pkg" 2>/dev/null || true)"
    if [[ "$have" == ii* ]]; then
      [[ "${have#*|}" == "$want" ]] || say "note: $pkg ${have#*|} is installed (pinned: $want); keeping it" >&2
    else
      missing+=("$spec")
    fi
  done
  ((${#missing[@]} == 0)) && return 0

  local names="${missing[*]%%=*}"
  skip() { echo "slurm-local: cannot install ${names// /, } ($1); skipping" >&2; exit 3; }
  [[ "$(id -u)" == 0 ]] || skip "not root"
  command -v apt-get >/dev/null 2>&1 || skip "no apt-get"
  say "installing ${missing[*]}"
  # No init system here, and the daemons are started below with this cluster's own configuration: keep the
  # packages' maintainer scripts from starting them (invoke-rc.d asks policy-rc.d; 101 = action forbidden).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  local ok=""
  apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=120 \
      "${missing[@]}" >> "$log" 2>&1
  }
  if apt_install; then
    ok=1
  elif apt-get update -o DPkg::Lock::Timeout=120 >> "$log" 2>&1 && apt_install; then
    ok=1
  fi
  if [[ -n "$created_policy" ]]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  [[ -n "$ok" ]] || skip "apt-get failed, see $log"
}

# ------------------------------------------------------------------------------------------------------ config
write_config() {
  local node="$1" hw
  # The hardware line as slurmd itself detects it (CPUs, sockets, cores, threads, RealMemory in MB).
  hw="$(env -u SLURM_CONF slurmd -C | head -n 1)"
  [[ "$hw" == NodeName=* ]] || fail "slurmd -C printed no NodeName line: $hw"
  hw="NodeName=$node ${hw#NodeName=* }"

  if [[ ! -s "$ETC/munge.key" ]]; then
    head -c 1024 /dev/urandom > "$ETC/munge.key"
  fi
  chmod 400 "$ETC/munge.key"
  if [[ ! -s "$ETC/db.pass" ]]; then
    (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$ETC/db.pass")
  fi

  cat > "$ETC/slurm.conf" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster, everything under $STATE.
ClusterName=$CLUSTER
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$STATE/spool/slurmctld
SlurmdSpoolDir=$STATE/spool/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
MpiDefault=none
# No systemd and no cgroup delegation here: processes are tracked through /proc, tasks are not confined.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
# Accounting (sacct) through slurmdbd; its munge socket is named by AccountingStoragePass, not by AuthInfo.
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$((PORT + 2))
AccountingStoragePass=$MUNGE_SOCKET
JobCompType=jobcomp/none
# Cores are the only consumable: jobs do not reserve the node's memory, so two 1-CPU jobs run side by side.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Start the next pending batch job as soon as one ends: the default delay (batch_sched_delay=3) left ~1.5 s
# idle between the smoke profile's short array tasks (10 trivial 2-CPU tasks: 23.7-29.0 s -> 9.4-9.9 s).
SchedulerParameters=batch_sched_delay=0
# A job whose dependency can never be met (afterok on a failed task) is cancelled instead of pending forever.
DependencyParameters=kill_invalid_depend
ReturnToService=2
InactiveLimit=0
KillWait=10
MinJobAge=300
SlurmdTimeout=300
$hw NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$PARTITION Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

  (umask 077; cat > "$ETC/slurmdbd.conf" <<EOF
# Written by scripts/slurm-local.sh. slurmdbd reads this file from the folder of \$SLURM_CONF.
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=$node
DbdAddr=127.0.0.1
DbdPort=$((PORT + 2))
SlurmUser=root
PidFile=$RUN/slurmdbd.pid
LogFile=$LOG/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$((PORT + 3))
StorageUser=slurm
StoragePass=$(cat "$ETC/db.pass")
StorageLoc=slurm_acct_db
EOF
  )
  chmod 600 "$ETC/slurmdbd.conf"

  cat > "$ETC/my.cnf" <<EOF
# Written by scripts/slurm-local.sh: a throwaway MariaDB for slurmdbd only, on 127.0.0.1:$((PORT + 3)).
[mysqld]
user=root
datadir=$STATE/db/data
socket=$DB_SOCKET
pid-file=$RUN/mariadbd.pid
log-error=$LOG/mariadb.log
port=$((PORT + 3))
bind-address=127.0.0.1
skip-name-resolve
skip-log-bin
innodb_buffer_pool_size=512M
innodb_log_file_size=64M
innodb_lock_wait_timeout=900
innodb_flush_log_at_trx_commit=2
[client]
socket=$DB_SOCKET
user=root
EOF

  cat > "$STATE/env" <<EOF
# source this file: sbatch, squeue, scontrol, sinfo and sacct then talk to the cluster of scripts/slurm-local.sh
export SLURM_CONF=$ETC/slurm.conf
export SLURM_LOCAL_DIR=$STATE
export SLURM_LOCAL_PARTITION=$PARTITION
export SLURM_LOCAL_NODE=$node
EOF
}

# ------------------------------------------------------------------------------------------------ start / stop
munge_ok() { munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET"; }
db_ok() { mariadb --defaults-file="$ETC/my.cnf" -e 'SELECT 1'; }
dbd_ok() { sacctmgr -n -P list cluster format=cluster; }
node_idle() { [[ "$(sinfo -h -n "$1" -o %T)" == idle ]]; }
cluster_registered() { [[ "$(sacctmgr -n -P list cluster format=cluster)" == *"$CLUSTER"* ]]; }

all_up() {
  local d
  for d in "${DAEMONS[@]}"; do [[ -n "$(pid_of "$d")" ]] || return 1; done
}

start() {
  local node t0 t phases=()
  node="$(hostname -s 2>/dev/null || hostname)"
  [[ -n "$node" ]] || usage_error "no host name"
  local sock_len=${#MUNGE_SOCKET}
  ((sock_len < 100)) || usage_error "SLURM_LOCAL_DIR is too long for a Unix socket path ($MUNGE_SOCKET)"

  if [[ "$(id -u)" != 0 ]]; then
    echo "slurm-local: cannot run the daemons as uid $(id -u) (they run as root); skipping" >&2
    exit 3
  fi
  if all_up && node_idle "$node" 2>/dev/null; then
    say "already up (state $STATE); nothing to do"
    return 0
  fi
  t0="$(now)"
  mkdir -p "$STATE" "$ETC" "$RUN" "$LOG" "$STATE/munge" "$STATE/db" "$STATE/spool/slurmctld" "$STATE/spool/slurmd"
  # munged wants every folder above its socket searchable by all, and its key folder not writable by others.
  chmod 755 "$STATE" "$ETC" "$STATE/munge"
  if [[ -n "$(pid_of munged)$(pid_of mariadbd)$(pid_of slurmdbd)$(pid_of slurmctld)$(pid_of slurmd)" ]]; then
    say "partly up; stopping the survivors and starting again"
    stop_daemons >/dev/null
  fi

  t="$(now)"; install_packages; phases+=("packages $(since "$t")s")
  local p
  for p in "$PORT" $((PORT + 1)) $((PORT + 2)) $((PORT + 3)); do
    if port_in_use "$p"; then
      echo "slurm-local: cannot bring up the cluster: port $p on 127.0.0.1 is in use (another Slurm or MariaDB?); set SLURM_LOCAL_PORT" >&2
      exit 1
    fi
  done
  write_config "$node"

  t="$(now)"
  munged --key-file="$ETC/munge.key" --socket="$MUNGE_SOCKET" --pid-file="$RUN/munged.pid" \
    --log-file="$LOG/munged.log" --seed-file="$STATE/munge/munged.seed" --num-threads=4 \
    || fail "munged did not start"
  wait_for "munge credential round trip" munged munge_ok
  phases+=("munged $(since "$t")s")

  t="$(now)"
  if [[ ! -d "$STATE/db/data/mysql" ]]; then
    rm -rf "$STATE/db/data"
    mariadb-install-db --defaults-file="$ETC/my.cnf" --auth-root-authentication-method=socket --skip-test-db \
      > "$LOG/mariadb-install.log" 2>&1 || { cat "$LOG/mariadb-install.log" >> "$LOG/mariadb.log"; fail "mariadb-install-db failed"; }
  fi
  setsid mariadbd --defaults-file="$ETC/my.cnf" < /dev/null >> "$LOG/mariadb.log" 2>&1 &
  child_pid=$!
  wait_for "MariaDB on $DB_SOCKET" mariadbd db_ok
  child_pid=""
  mariadb --defaults-file="$ETC/my.cnf" >> "$LOG/mariadb.log" 2>&1 <<EOF || fail "cannot create the accounting database"
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$(cat "$ETC/db.pass")';
ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$(cat "$ETC/db.pass")';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
EOF
  phases+=("mariadb $(since "$t")s")

  t="$(now)"
  slurmdbd || fail "slurmdbd did not start"
  wait_for "slurmdbd on port $((PORT + 2))" slurmdbd dbd_ok
  phases+=("slurmdbd $(since "$t")s")

  t="$(now)"
  slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
  wait_for "slurmctld on port $PORT" slurmctld scontrol ping
  phases+=("slurmctld $(since "$t")s")

  t="$(now)"
  slurmd -f "$SLURM_CONF" -N "$node" || fail "slurmd did not start"
  wait_for "node $node idle in partition $PARTITION" slurmd node_idle "$node"
  wait_for "cluster $CLUSTER registered in slurmdbd" slurmdbd cluster_registered
  phases+=("slurmd $(since "$t")s")

  local summary
  summary="$(printf '%s, ' "${phases[@]}")"
  say "up in $(since "$t0")s (${summary%, }); node $node, partition $PARTITION, state $STATE"
  say "source $STATE/env to use it"
}

stop_one() { # NAME: TERM, up to 20 s, then KILL
  local pid i
  pid="$(pid_of "$1")"
  [[ -n "$pid" ]] || { rm -f "$RUN/$1.pid"; return 1; }
  kill -TERM "$pid" 2>/dev/null || true
  # (a zombie counts as gone: it has exited and only waits for init to reap it)
  for ((i = 0; i < 100; i++)); do
    if ! alive "$pid" || [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$1" ]]; then break; fi
    sleep 0.2
  done
  if alive "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$1" ]]; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$1.pid"
  echo "$1"
}

stop_daemons() {
  local stopped=() d i pids
  if [[ -n "$(pid_of slurmctld)" && -s "$SLURM_CONF" ]]; then
    # Jobs would outlive slurmd in their own slurmstepd; cancel them and give them a moment to go.
    timeout 10 scancel -p "$PARTITION" >/dev/null 2>&1 || true
    for ((i = 0; i < 50; i++)); do
      [[ -z "$(stepd_pids)" ]] && break
      sleep 0.2
    done
  fi
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    d="${DAEMONS[i]}"
    stop_one "$d" >/dev/null && stopped+=("$d")
  done
  pids="$(stepd_pids)"
  if [[ -n "$pids" ]]; then
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $pids 2>/dev/null || true
    stopped+=("slurmstepd")
  fi
  if ((${#stopped[@]})); then
    say "stopped ${stopped[*]}"
  else
    say "not running (state $STATE)"
  fi
}

status() {
  local d pid up=() down=()
  for d in "${DAEMONS[@]}"; do
    pid="$(pid_of "$d")"
    if [[ -n "$pid" ]]; then up+=("$d($pid)"); else down+=("$d"); fi
  done
  if ((${#down[@]} == 0)); then
    say "up (state $STATE; ${up[*]})"
    sinfo
    squeue
    return 0
  elif ((${#up[@]} == 0)); then
    say "down (state $STATE)"
  else
    say "partly up: running ${up[*]}; not running ${down[*]}"
  fi
  return 1
}

case "${1:-}" in
  start) [[ $# == 1 ]] || usage_error "start takes no arguments"; start ;;
  stop) [[ $# == 1 ]] || usage_error "stop takes no arguments"; stop_daemons ;;
  status) [[ $# == 1 ]] || usage_error "status takes no arguments"; status ;;
  -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" ;;
  "") usage_error "missing subcommand" ;;
  *) usage_error "unknown subcommand '$1'" ;;
esac
