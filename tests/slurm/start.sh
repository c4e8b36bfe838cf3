#!/usr/bin/env bash
# Start a private single-node SLURM cluster on localhost, for tests (no systemd needed).
#
#   tests/slurm/start.sh [DIR]        DIR defaults to $MLALAB_SLURM_DIR or /tmp/mlalab-slurm-$UID
#
# Everything lives under DIR: slurm.conf, a fresh munge key and socket, state, spool, logs and the
# pid files of the three daemons it starts (munged as user munge, slurmctld, slurmd; run as root).
# Ports are picked free at start, so two clusters on one machine do not collide.  Afterwards
#   source DIR/env        # exports SLURM_CONF (sbatch, squeue, Snakemake's slurm plugin read it)
#   tests/slurm/stop.sh DIR
# Needs: apt-get install slurmctld slurmd slurm-client munge   (Debian bookworm: SLURM 22.05).
set -euo pipefail

DIR=${1:-${MLALAB_SLURM_DIR:-/tmp/mlalab-slurm-$(id -u)}}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

for exe in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
  command -v "$exe" >/dev/null || { echo "start.sh: $exe not found; apt-get install slurmctld slurmd slurm-client munge" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "start.sh: must run as root (slurmd launches jobs, munged runs as user munge)" >&2; exit 2; }
if [ -e "$DIR/slurmctld.pid" ] && kill -0 "$(cat "$DIR/slurmctld.pid")" 2>/dev/null; then
  echo "start.sh: a cluster is already running from $DIR (stop it with tests/slurm/stop.sh $DIR)" >&2; exit 3
fi

# Only ever wipe a directory this script made (it carries a marker), never an arbitrary path.
if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ] && [ ! -e "$DIR/.mlalab-slurm" ]; then
  echo "start.sh: $DIR exists, is not empty and is not a test-cluster directory; refusing to use it" >&2; exit 2
fi
rm -rf "$DIR"
mkdir -p "$DIR"/{state,spool,log,munge}
chmod 755 "$DIR"; touch "$DIR/.mlalab-slurm"
# munge: private key, socket, pid, log, seed, all in a directory owned by the munge user.
dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$DIR/munge"
chmod 700 "$DIR/munge"; chmod 400 "$DIR/munge/munge.key"
chmod 711 "$DIR/munge"      # root (slurm) must reach the socket inside
SOCK="$DIR/munge/munge.socket"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CTLD_PORT=${MLALAB_SLURMCTLD_PORT:-$(free_port)}
SLURMD_PORT=${MLALAB_SLURMD_PORT:-$(free_port)}
while [ "$SLURMD_PORT" = "$CTLD_PORT" ]; do SLURMD_PORT=$(free_port); done

NODE=$(hostname -s)
# What this machine has, as slurmd sees it; keep 512 MB back for the daemons themselves.
read -r CPUS MEM < <(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*RealMemory=\([0-9]*\).*/\1 \2/p')
MEM=$(( MEM > 1024 ? MEM - 512 : MEM ))
DEFMEM=$(( MEM / CPUS / 2 ))      # a job that asks for no memory gets half a core's share, not the node

sed -e "s|@DIR@|$DIR|g" -e "s|@SOCK@|$SOCK|g" -e "s|@NODE@|$NODE|g" \
    -e "s|@CTLD_PORT@|$CTLD_PORT|g" -e "s|@SLURMD_PORT@|$SLURMD_PORT|g" \
    -e "s|@CPUS@|$CPUS|g" -e "s|@MEM@|$MEM|g" -e "s|@DEFMEM@|$DEFMEM|g" \
    "$HERE/slurm.conf.in" > "$DIR/slurm.conf"
# Inside a job, Snakemake's slurm-jobstep plugin strips every SLURM_* variable (SLURM_CONF too) before it
# runs `srun`, so srun would look for /etc/slurm/slurm.conf, which a real cluster has and this private one
# does not.  A two-line srun on PATH that points at our slurm.conf stands in for it; nothing global is touched.
mkdir -p "$DIR/bin"
printf '#!/bin/sh\nSLURM_CONF=%s exec %s "$@"\n' "$DIR/slurm.conf" "$(command -v srun)" > "$DIR/bin/srun"
chmod 755 "$DIR/bin/srun"
cat > "$DIR/env" <<ENV
export SLURM_CONF=$DIR/slurm.conf
export PATH=$DIR/bin:\$PATH
export MLALAB_SLURM=1
export MLALAB_SLURM_DIR=$DIR
ENV
export SLURM_CONF="$DIR/slurm.conf"

fail() {
  echo "start.sh: $*" >&2
  for f in "$DIR"/log/*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2 || true; done
  "$HERE/stop.sh" "$DIR" >&2 || true
  exit 1
}

# 1. munged, as user munge (it daemonizes and writes its pid file).
setpriv --reuid=munge --regid=munge --init-groups \
  munged --socket="$SOCK" --key-file="$DIR/munge/munge.key" --pid-file="$DIR/munge/munged.pid" \
         --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/munged.seed" \
  || fail "munged did not start"
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
cp "$DIR/munge/munged.pid" "$DIR/munged.pid"
munge -S "$SOCK" -n | unmunge -S "$SOCK" >/dev/null || fail "munge round trip failed"

# 2. slurmctld and slurmd (each daemonizes and writes the pid file named in slurm.conf).
slurmctld -f "$DIR/slurm.conf" -i || fail "slurmctld did not start"
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
scontrol ping | grep -q UP || fail "slurmctld does not answer"
slurmd -f "$DIR/slurm.conf" || fail "slurmd did not start"

# 3. Wait until the node is idle, i.e. it takes jobs.
for _ in $(seq 150); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n1)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || fail "node $NODE is '$state', not idle"
for p in munged slurmctld slurmd; do [ -s "$DIR/$p.pid" ] || fail "no pid file for $p"; done
echo "SLURM cluster up: $NODE, $CPUS cpus, ${MEM} MB, ports $CTLD_PORT/$SLURMD_PORT; pids" \
     "munged=$(cat "$DIR/munged.pid") slurmctld=$(cat "$DIR/slurmctld.pid") slurmd=$(cat "$DIR/slurmd.pid")"
echo "use it:  source $DIR/env      stop it:  $HERE/stop.sh $DIR"
