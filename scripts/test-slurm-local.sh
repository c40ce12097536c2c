#!/usr/bin/env bash
# scripts/test-slurm-local.sh: end-to-end test of scripts/slurm-local.sh, the way CI uses it (about 40 s once the packages are installed).
# From a clean state folder: bad usage, timed start, a second start (no-op), status; a job array
# (--array=0-3%2) with a job depending on it (afterok), squeue while they run and sacct afterwards; an array
# with one failing task (its dependent job is cancelled) and that index resubmitted alone (--array=1);
# sbatch --wait; stop, no daemon left, stop again; start on the kept state (job history survives), stop while
# a job runs (its processes go too).
# Leaves the daemons stopped (also when a check fails) and the state folder in place for its logs.
#
# Environment: SLURM_LOCAL_DIR (default here: /tmp/cottention-slurm-test, deleted first), SLURM_LOCAL_PORT;
# SLURM_LOCAL_REQUIRED=1 makes "packages cannot be installed" (slurm-local.sh exit 3) a failure, not a skip.
# Exit codes: 0 every check passed (or skipped: no packages), 1 a check failed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cluster="$root/scripts/slurm-local.sh"
export SLURM_LOCAL_DIR="${SLURM_LOCAL_DIR:-/tmp/cottention-slurm-test}"
state="$SLURM_LOCAL_DIR"
failures=0

ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; failures=$((failures + 1)); }
check() { # DESCRIPTION COMMAND...
  local desc="$1"; shift
  if "$@"; then ok "$desc"; else bad "$desc"; fi
}
section() { echo; echo "== $*"; }
finish() {
  "$cluster" stop > /dev/null 2>&1 || true
  echo
  if ((failures)); then echo "test-slurm-local: $failures check(s) FAILED (logs: $state/log)"; exit 1; fi
  echo "test-slurm-local: all checks passed"
}
trap 'rc=$?; if ((rc != 0 && failures == 0)); then echo "test-slurm-local: aborted (exit $rc)"; failures=1; fi; finish' EXIT

# Waits until every expected row (JobID as sacct prints it: ARRAY_INDEX for an array task, ID for a plain job)
# has left the queue and is in the accounting database in a final state. slurmdbd lags the controller: a
# job's row may appear only once it runs, and first as "RAWID|allocation" (no array index, placeholder name)
# until the controller's job-start message arrives, up to a few seconds later; so a row counts only under
# its own JobID. Returns 1 after TIMEOUT seconds.
wait_jobs() { # TIMEOUT JOBID...
  local deadline=$((SECONDS + $1)) ids states t0 want missing
  shift
  ids="$(printf '%s\n' "${@%%_*}" | sort -u | paste -sd,)"
  while [[ -n "$(squeue -h -j "$ids" -o %i 2> /dev/null)" ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
  t0=$EPOCHREALTIME
  while :; do
    states="$(sacct -n -X -P -j "$ids" -o JobID,State 2> /dev/null || true)"
    missing=""
    for want in "$@"; do
      grep -qE "^$want\|(COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL|BOOT_FAIL|DEADLINE|PREEMPTED)" \
        <<< "$states" || missing+=" $want"
    done
    if [[ -z "$missing" ]]; then
      echo "(sacct final $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s after squeue emptied)"
      return 0
    fi
    ((SECONDS < deadline)) || { echo "not final in sacct:$missing; sacct has: $states"; return 1; }
    sleep 0.5
  done
}
# "STATE EXITCODE" of one job or array task (an allocation row, -X), e.g. "COMPLETED 0:0".
job_state() { sacct -n -X -P -j "$1" -o State,ExitCode | head -n 1 | tr '|' ' '; }

section "usage"
set +e
err="$("$cluster" bogus 2>&1 > /dev/null)"; rc=$?
set -e
check "unknown subcommand: exit 2 (got $rc)" test "$rc" = 2
check "unknown subcommand: one line naming it and the valid ones: $err" \
  test "$(wc -l <<< "$err")" = 1 -a -n "$(grep -F "'bogus'" <<< "$err" | grep -F 'start, stop, status')"

section "start from a clean state ($state)"
"$cluster" stop > /dev/null
rm -rf "$state"
t0=$EPOCHREALTIME
set +e
"$cluster" start; rc=$?
set -e
start_s="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
if ((rc == 3)) && [[ "${SLURM_LOCAL_REQUIRED:-}" != 1 ]]; then
  echo "test-slurm-local: SKIP (the Slurm packages cannot be installed here)"
  trap - EXIT
  exit 0
fi
check "start: exit 0 (got $rc) in ${start_s}s" test "$rc" = 0
((rc == 0)) || exit 1
pids_before="$(cat "$state"/run/*.pid | sort | tr '\n' ' ')"

out="$("$cluster" start)"
check "second start: no-op ($out)" grep -q "already up" <<< "$out"
check "second start: same daemons" test "$(cat "$state"/run/*.pid | sort | tr '\n' ' ')" = "$pids_before"
check "status: exit 0" "$cluster" status

# shellcheck source=/dev/null
source "$state/env"
check "env file sets SLURM_CONF" test "$SLURM_CONF" = "$state/etc/slurm.conf"
work="$state/test"
mkdir -p "$work/out"
cd "$work"
cat > task.sh <<'EOF'
#!/bin/bash
#SBATCH --job-name=cfg
#SBATCH --output=out/task-%A_%a.out
# Stands for one experiment configuration: index $SLURM_ARRAY_TASK_ID; fails (exit 3) when listed in FAIL_INDEXES.
echo "task $SLURM_ARRAY_TASK_ID of array $SLURM_ARRAY_JOB_ID (job $SLURM_JOB_ID) on $(hostname -s) in $PWD"
sleep 2
if [[ ",${FAIL_INDEXES:-}," == *",$SLURM_ARRAY_TASK_ID,"* ]]; then echo "task $SLURM_ARRAY_TASK_ID fails on purpose"; exit 3; fi
EOF

section "job array --array=0-3%2 and a dependent job (afterok)"
a1="$(sbatch --parsable --array=0-3%2 task.sh)"; a1="${a1%%;*}"
d1="$(sbatch --parsable --dependency="afterok:$a1" --job-name=report --output="out/report-%j.out" \
  --wrap 'echo "report: all tasks done"')"; d1="${d1%%;*}"
echo "array $a1, report $d1"
sleep 1
squeue
max_running=0
while [[ -n "$(squeue -h -j "$a1" -o %i 2> /dev/null)" ]]; do
  n="$(squeue -h -r -j "$a1" -t RUNNING -o %i | wc -l)"
  ((n > max_running)) && max_running=$n
  ((n == 2)) && [[ -z "${shown:-}" ]] && { squeue; shown=1; }
  sleep 0.5
done
check "wait for array $a1 and report $d1" wait_jobs 120 "${a1}_"{0..3} "$d1"
sacct -j "$a1,$d1" --format=JobID,JobName,State,ExitCode,Elapsed
check "at most 2 tasks ran at once (%2): saw $max_running" test "$max_running" -ge 1 -a "$max_running" -le 2
for i in 0 1 2 3; do
  check "task ${a1}_$i: COMPLETED 0:0" test "$(job_state "${a1}_$i")" = "COMPLETED 0:0"
  check "task ${a1}_$i: its output" grep -q "^task $i of array $a1" "out/task-${a1}_$i.out"
done
check "report $d1: COMPLETED 0:0" test "$(job_state "$d1")" = "COMPLETED 0:0"
last_end="$(sacct -n -X -P -j "$a1" -o End | sort | tail -n 1)"
report_start="$(sacct -n -X -P -j "$d1" -o Start)"
check "report started ($report_start) after the last task ended ($last_end)" test ! "$report_start" \< "$last_end"

section "a failing task (index 1 exits 3) and its dependent job"
a2="$(FAIL_INDEXES=1 sbatch --parsable --array=0-2 task.sh)"; a2="${a2%%;*}"
d2="$(sbatch --parsable --dependency="afterok:$a2" --job-name=report --output="out/report-%j.out" \
  --wrap 'echo "report: all tasks done"')"; d2="${d2%%;*}"
sleep 1
squeue
check "wait for array $a2 and report $d2" wait_jobs 120 "${a2}_"{0..2} "$d2"
sacct -j "$a2,$d2" --format=JobID,JobName,State,ExitCode,Elapsed,Reason
check "task ${a2}_0: COMPLETED 0:0" test "$(job_state "${a2}_0")" = "COMPLETED 0:0"
check "task ${a2}_1: FAILED 3:0" test "$(job_state "${a2}_1")" = "FAILED 3:0"
check "task ${a2}_2: COMPLETED 0:0" test "$(job_state "${a2}_2")" = "COMPLETED 0:0"
check "report $d2: CANCELLED (dependency never satisfied)" test "$(job_state "$d2")" = "CANCELLED 0:0"
check "report $d2 never ran" test ! -e "out/report-$d2.out"

section "resubmitting index 1 alone (--array=1)"
r="$(sbatch --parsable --array=1 task.sh)"; r="${r%%;*}"
check "wait for $r" wait_jobs 60 "${r}_1"
sacct -j "$r" --format=JobID,JobName,State,ExitCode,Elapsed
check "task ${r}_1: COMPLETED 0:0" test "$(job_state "${r}_1")" = "COMPLETED 0:0"
check "task ${r}_1 ran index 1" grep -q "^task 1 of array $r" "out/task-${r}_1.out"

section "sbatch --wait"
t0=$EPOCHREALTIME
check "sbatch --wait on a job that succeeds: exit 0" sbatch --wait --quiet --output=/dev/null --wrap 'sleep 1'
echo "(returned after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s for a 1 s job)"
set +e
sbatch --wait --quiet --output=/dev/null --wrap 'exit 4'; rc=$?
set -e
check "sbatch --wait on a job that exits 4: exit $rc (non-zero)" test "$rc" != 0

section "stop"
pids="$(cat "$state"/run/*.pid)"
"$cluster" stop
left=""
for p in $pids; do [[ -d "/proc/$p" && "$(awk '{print $3}' "/proc/$p/stat")" != Z ]] && left+=" $p"; done
check "stop: no daemon left of pids $(tr '\n' ' ' <<< "$pids")${left:+(left:$left)}" test -z "$left"
stepds=""
for p in $(pgrep -x slurmstepd || true); do
  [[ "$(readlink "/proc/$p/cwd")" == "$state/"* ]] && stepds+=" $p"
done
check "stop: no slurmstepd left" test -z "$stepds"
# (exited daemons may linger a moment as zombies until the machine's init reaps them: not counted)
others="$(ps -eo pid=,stat=,comm= | awk '$2 !~ /^Z/ && $3 ~ /^(munged|slurmctld|slurmscriptd|slurmd|slurmdbd|slurmstepd|mariadbd)$/')"
[[ -z "$others" ]] || echo "(other slurm/munge/mariadb processes on this machine, not ours: $others)"
out="$("$cluster" stop)"
check "second stop: exit 0, nothing to do ($out)" grep -q "not running" <<< "$out"
set +e
"$cluster" status > /dev/null; rc=$?
set -e
check "status when down: exit 1 (got $rc)" test "$rc" = 1

section "start again on the kept state"
check "restart" "$cluster" start
check "job history kept: $a1 in sacct" test "$(job_state "${a1}_0")" = "COMPLETED 0:0"
long="$(sbatch --parsable --output=/dev/null --wrap 'sleep 377')"; long="${long%%;*}"
for ((i = 0; i < 50; i++)); do
  [[ "$(squeue -h -j "$long" -o %T)" == RUNNING ]] && break
  sleep 0.2
done
check "a long job $long is running" test "$(squeue -h -j "$long" -o %T)" = RUNNING
check "stop while it runs" "$cluster" stop
check "its processes are gone" test -z "$(pgrep -f '^sleep 377$' || true)"
