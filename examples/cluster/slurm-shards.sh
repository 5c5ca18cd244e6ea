#!/bin/bash
# One shard of a large plain Monte Carlo run per Slurm array task. Submit, then merge:
#
#   mkdir -p partials logs
#   jobid=$(sbatch --parsable examples/cluster/slurm-shards.sh)
#   sbatch --dependency=afterok:"$jobid" examples/cluster/slurm-merge.sh
#
# Every task runs the same scenario, seed and total run count; task I of N runs the I-th
# N-th of the runs and writes partials/shard-I.json. The merged summary is byte for byte
# the run done on one machine. Change SCENARIO, RUNS and SEED below or in the environment
# (sbatch --export=ALL,RUNS=10000000000 …). Array task IDs are the shard numbers, from 1;
# to run one failed task again, give the number of shards: sbatch --array=5
# --export=ALL,SHARDS=16 examples/cluster/slurm-shards.sh.
#SBATCH --job-name=blastradius-shards
#SBATCH --array=1-16
#SBATCH --cpus-per-task=8
#SBATCH --time=01:00:00
#SBATCH --output=logs/shard-%a.log
set -euo pipefail

scenario="${SCENARIO:-s3-2017}"
runs="${RUNS:-1000000000}"
seed="${SEED:-1}"
index="${SLURM_ARRAY_TASK_ID:?run as a Slurm array task}"
count="${SHARDS:-${SLURM_ARRAY_TASK_COUNT:?run as a Slurm array task}}"
mkdir -p partials

blastradius run "$scenario" --method plain --runs "$runs" --seed "$seed" \
    --threads "${SLURM_CPUS_PER_TASK:-1}" --quiet \
    --shard "$index/$count" --partial "partials/shard-$index.json"
