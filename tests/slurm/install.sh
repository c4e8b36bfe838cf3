#!/usr/bin/env bash
# Install the SLURM daemons and munge for the local test cluster (Debian/Ubuntu, as root); no-op when present.
set -euo pipefail
need=()
for exe in munged slurmctld slurmd sbatch; do command -v "$exe" >/dev/null || need+=("$exe"); done
[ ${#need[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || { echo "install.sh: missing ${need[*]}; run as root: apt-get install slurmctld slurmd slurm-client munge" >&2; exit 2; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
# The packages may try to start their services; without systemd they do not, but make sure nothing is left.
echo "installed: slurmctld slurmd slurm-client munge ($(slurmd -V))"
