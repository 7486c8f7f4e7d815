#!/usr/bin/env bash
# Submits the array and, after it, the merge. Resubmit only the tasks that did not finish:
#   deploy/slurm/submit.sh --array=$(sacct -n -X -j ARRAY_JOB --state=TIMEOUT,FAILED,NODE_FAIL,PREEMPTED,CANCELLED \
#       --format=JobID | sed 's/.*_//' | sort -n | paste -sd, -)
# (each retried task resumes from its published store; then the merge runs again).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p logs
array=$(sbatch --parsable "$@" "$here/vidpipe-array.sbatch")
merge=$(sbatch --parsable --dependency=afterany:"${array%%;*}" "$here/vidpipe-merge.sbatch")
echo "array job $array, merge job $merge"
