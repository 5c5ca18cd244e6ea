#!/bin/bash
# The merge step after slurm-shards.sh: run it once every array task has succeeded
# (sbatch --dependency=afterok:JOBID). It refuses a missing, repeated or foreign shard.
#SBATCH --job-name=blastradius-merge
#SBATCH --time=00:10:00
#SBATCH --output=logs/merge.log
set -euo pipefail

blastradius merge partials/shard-*.json --json result.json > result.txt
cat result.txt
