#!/bin/bash
# Runs a sharded run by strata on Kubernetes: round 1's Indexed Job, the merge into a
# pilot, round 2's Indexed Job, the final merge, waiting for each step. Round 2's Jobs are
# the same manifests with "round-1" and ROUND "1" rewritten to 2.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
timeout="${TIMEOUT:-2h}"

step() { # manifest, round
    sed -e "s/round-1/round-$2/" -e "s/value: \"1\"/value: \"$2\"/" "$here/$1" |
        kubectl apply -f -
}
step k8s-indexed-job.yaml 1
kubectl wait --for=condition=complete job/blastradius-round-1 --timeout="$timeout"
step k8s-merge-job.yaml 1
kubectl wait --for=condition=complete job/blastradius-merge-round-1 --timeout="$timeout"
step k8s-indexed-job.yaml 2
kubectl wait --for=condition=complete job/blastradius-round-2 --timeout="$timeout"
step k8s-merge-job.yaml 2
kubectl wait --for=condition=complete job/blastradius-merge-round-2 --timeout="$timeout"
kubectl logs job/blastradius-merge-round-2
