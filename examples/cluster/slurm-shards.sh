#!/bin/bash
# One shard of a large run per Slurm array task. Submit everything with slurm-submit.sh,
# or by hand (runs by strata, the default, have two rounds with a merge between them):
#
#   mkdir -p partials logs
#   j1=$(sbatch --parsable examples/cluster/slurm-shards.sh)                    # round 1
#   j2=$(sbatch --parsable --dependency=afterok:"$j1" examples/cluster/slurm-merge.sh)
#   j3=$(sbatch --parsable --dependency=afterok:"$j2" --export=ALL,ROUND=2 \
#        examples/cluster/slurm-shards.sh)                                      # round 2
#   sbatch --dependency=afterok:"$j3" --export=ALL,ROUND=2 examples/cluster/slurm-merge.sh
#
# With METHOD=plain there is one round: the shards, then slurm-merge.sh.
#
# Every task runs the same command, scenario, seed and total run count; task I of N runs
# the I-th N-th of the round's runs and writes partials/round-R-shard-I.json. The merged
# results are byte for byte those of the run done on one machine. Change SCENARIO, RUNS,
# SEED and METHOD below or in the environment (sbatch --export=ALL,RUNS=10000000 …). Array
# task IDs are the shard numbers, from 1; to run one failed task again, give the number of
# shards: sbatch --array=5 --export=ALL,SHARDS=16 examples/cluster/slurm-shards.sh.
#SBATCH --job-name=blastradius-shards
#SBATCH --array=1-16
#SBATCH --cpus-per-task=8
#SBATCH --time=01:00:00
#SBATCH --output=logs/shard-%a.log
set -euo pipefail

scenario="${SCENARIO:-s3-2017}"
method="${METHOD:-strata}"
runs="${RUNS:-10000000}"
seed="${SEED:-1}"
round="${ROUND:-1}"
index="${SLURM_ARRAY_TASK_ID:?run as a Slurm array task}"
count="${SHARDS:-${SLURM_ARRAY_TASK_COUNT:?run as a Slurm array task}}"
mkdir -p partials

pilot=()
if [ "$round" = 2 ]; then
    pilot=(--pilot partials/pilot.json)
fi
blastradius run "$scenario" --method "$method" --runs "$runs" --seed "$seed" \
    --threads "${SLURM_CPUS_PER_TASK:-1}" --quiet "${pilot[@]}" \
    --shard "$index/$count" --partial "partials/round-$round-shard-$index.json"
