#!/bin/bash
# Submits a whole sharded run to Slurm, each step depending on the one before:
#
#   examples/cluster/slurm-submit.sh                      # s3-2017 by strata, 16 shards
#   SCENARIO=my.toml RUNS=100000000 examples/cluster/slurm-submit.sh
#   METHOD=plain RUNS=1000000000 examples/cluster/slurm-submit.sh
#
# By strata: round 1's shards, their merge into a pilot, round 2's shards, the final merge.
# Plain: the shards and the merge. The results land in result.txt and result.json.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p partials logs

j=$(sbatch --parsable --export=ALL,ROUND=1 "$here/slurm-shards.sh")
j=$(sbatch --parsable --dependency=afterok:"$j" --export=ALL,ROUND=1 "$here/slurm-merge.sh")
if [ "${METHOD:-strata}" != plain ]; then
    j=$(sbatch --parsable --dependency=afterok:"$j" --export=ALL,ROUND=2 "$here/slurm-shards.sh")
    j=$(sbatch --parsable --dependency=afterok:"$j" --export=ALL,ROUND=2 "$here/slurm-merge.sh")
fi
echo "submitted; the last step is job $j: results in result.txt and result.json"
