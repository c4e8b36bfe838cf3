#!/usr/bin/env bash
# Stop the test cluster that tests/slurm/start.sh started from DIR: by the pids it recorded, nothing else.
#   tests/slurm/stop.sh [DIR]        DIR defaults to $MLALAB_SLURM_DIR or /tmp/mlalab-slurm-$UID
set -uo pipefail
DIR=${1:-${MLALAB_SLURM_DIR:-/tmp/mlalab-slurm-$(id -u)}}
[ -d "$DIR" ] || { echo "stop.sh: no cluster directory $DIR"; exit 0; }
export SLURM_CONF="$DIR/slurm.conf"

# Jobs still queued or running on this cluster are cancelled first (their processes belong to slurmd).
if [ -f "$DIR/slurmctld.pid" ] && kill -0 "$(cat "$DIR/slurmctld.pid")" 2>/dev/null; then
  ids=$(squeue -h -o %i 2>/dev/null || true)
  if [ -n "$ids" ]; then
    scancel $ids 2>/dev/null || true
    for _ in $(seq 50); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.2; done
  fi
fi

status=0
for name in slurmd slurmctld munged; do
  f="$DIR/$name.pid"
  [ -s "$f" ] || continue
  pid=$(cat "$f")
  # Only signal the pid if it is still the daemon we started (pids can be reused).
  if kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "stop.sh: $name ($pid) ignored SIGTERM; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || status=1
    fi
    echo "stopped $name ($pid)"
  fi
  rm -f "$f"
done
exit $status
