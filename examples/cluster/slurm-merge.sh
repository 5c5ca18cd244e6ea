#!/bin/bash
# The merge step after a round of slurm-shards.sh: run it once every array task of the
# round has succeeded (sbatch --dependency=afterok:JOBID), with the same ROUND. Round 1 of
# a run by strata merges into partials/pilot.json, which round 2 allocates from; the last
# round (round 2, or the only round of a plain run) writes result.txt and result.json. It
# refuses a missing, repeated or foreign shard.
#SBATCH --job-name=blastradius-merge
#SBATCH --time=00:10:00
#SBATCH --output=logs/merge-%j.log
set -euo pipefail

round="${ROUND:-1}"
if [ "$round" = 2 ]; then
    blastradius merge partials/pilot.json partials/round-2-shard-*.json \
        --json result.json > result.txt
elif [ "${METHOD:-strata}" = plain ]; then
    blastradius merge partials/round-1-shard-*.json --json result.json > result.txt
else
    blastradius merge partials/round-1-shard-*.json --partial partials/pilot.json
    exit 0
fi
cat result.txt
