#!/usr/bin/env bash
# Stop the daemons that start-slurm.sh started, found through their pid files.
#
# Each daemon is signalled only when its pid file names a live process whose
# /proc/PID/comm matches the daemon, so a reused pid or a daemon that someone
# else started is never touched. Nothing is stopped by name (no pkill).
# Order: cancel our cluster's jobs, then slurmd, slurmctld, slurmdbd, the
# private MariaDB and munged (munged only when start-slurm.sh started it,
# which is when its pid file sits under $SLURM_LOCAL_RUN/munge).
#
# Environment: SLURM_LOCAL_RUN (default /run/slurm-local) and
# SLURM_LOCAL_STATE (default /var/lib/slurm-local), as for start-slurm.sh.
# SLURM_LOCAL_ONLY_SLURM=1 stops only the three SLURM daemons and leaves jobs
# alone; start-slurm.sh uses it to restart after a configuration change.
# Option --purge also deletes the state folder, the pid folder and the
# configuration files that start-slurm.sh generated in /etc/slurm.
set -uo pipefail

run_dir="${SLURM_LOCAL_RUN:-/run/slurm-local}"
state_dir="${SLURM_LOCAL_STATE:-/var/lib/slurm-local}"
only_slurm="${SLURM_LOCAL_ONLY_SLURM:-0}"
purge=0
if [[ "${1:-}" == "--purge" ]]; then purge=1; fi
marker="GENERATED-BY slurm-local/start-slurm.sh"

log() { printf '[stop-slurm] %s\n' "$*"; }

# live_pid PIDFILE NAME: print the pid if it belongs to a running NAME.
live_pid() {
  local pid_file="$1" name="$2" pid state
  [[ -s "$pid_file" ]] || return 1
  pid="$( { tr -cd '0-9' < "$pid_file"; } 2>/dev/null )"
  [[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$name" ]] || return 1
  # A killed daemon stays a zombie until its parent reaps it; it is gone.
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)"
  [[ "$state" != "Z" && "$state" != "X" ]] || return 1
  printf '%s\n' "$pid"
}

# stop_daemon PIDFILE NAME: SIGTERM, wait up to 20 s, then SIGKILL.
stop_daemon() {
  local pid_file="$1" name="$2" pid waited=0
  if ! pid="$(live_pid "$pid_file" "$name")"; then
    if [[ -e "$pid_file" ]]; then
      rm -f "$pid_file"
      log "$name is not running; removed its stale pid file"
    fi
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null
  while (( waited < 100 )) && live_pid "$pid_file" "$name" >/dev/null; do
    sleep 0.2
    waited=$(( waited + 1 ))
  done
  if live_pid "$pid_file" "$name" >/dev/null; then
    log "$name (pid $pid) is still running after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    sleep 0.5
  fi
  rm -f "$pid_file"
  log "stopped $name (pid $pid)"
}

if [[ "$only_slurm" != 1 ]] && live_pid "$run_dir/slurmctld.pid" slurmctld >/dev/null; then
  job_ids="$(squeue --noheader --format='%i' 2>/dev/null | tr '\n' ' ')"
  if [[ -n "${job_ids// /}" ]]; then
    log "cancelling jobs $job_ids"
    # shellcheck disable=SC2086  # one argument per job id
    scancel $job_ids 2>/dev/null
    for (( i = 0; i < 50; i++ )); do
      [[ -z "$(squeue --noheader --states=PD,R,CG,S --format='%i' 2>/dev/null)" ]] && break
      sleep 0.2
    done
  fi
fi

stop_daemon "$run_dir/slurmd.pid" slurmd
stop_daemon "$run_dir/slurmctld.pid" slurmctld
stop_daemon "$run_dir/slurmdbd.pid" slurmdbd
if [[ "$only_slurm" != 1 ]]; then
  stop_daemon "$run_dir/mysql/mariadbd.pid" mariadbd
  stop_daemon "$run_dir/munge/munged.pid" munged
fi

if (( purge )); then
  log "deleting $state_dir, $run_dir and the generated files in /etc/slurm"
  rm -rf "$state_dir" "$run_dir"
  for conf in /etc/slurm/slurm.conf /etc/slurm/slurmdbd.conf /etc/slurm/gres.conf; do
    if [[ -f "$conf" ]] && grep -q "$marker" "$conf"; then rm -f "$conf"; fi
  done
fi
exit 0
