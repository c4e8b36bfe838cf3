#!/usr/bin/env bash
# Run a command with the local single-node SLURM test cluster up, and always stop the cluster after.
#
#   tests/slurm/with-cluster.sh python3 -m pytest -q tests        # e.g. from .ci/run
#
# Starts the daemons (tests/slurm/start.sh), exports SLURM_CONF, MLALAB_SLURM=1 and MLALAB_SLURM_DIR for the
# command, and stops the daemons by their recorded pids on exit, on failure and on Ctrl-C (trap).
# Exit status: the command's.  MLALAB_SLURM_INSTALL=0 skips installing missing SLURM packages.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${MLALAB_SLURM_DIR:-$(mktemp -d /tmp/mlalab-slurm.XXXXXX)}

if [ "${MLALAB_SLURM_INSTALL:-1}" = 1 ]; then "$HERE/install.sh" || exit $?; fi
trap '"$HERE/stop.sh" "$DIR"' EXIT
trap 'exit 130' INT TERM
"$HERE/start.sh" "$DIR" || exit $?
# shellcheck disable=SC1091
source "$DIR/env"
"$@"
