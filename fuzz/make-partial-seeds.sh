#!/usr/bin/env bash
# Writes the seeds of the `partial` target (seeds-partial/) from real shards of s3-2017:
# run from fuzz/ after `cargo build --release` at the repository's root. Each seed is a
# mode byte (`P`: merge with --partial, `J`: with --json) and the files one merge takes,
# separated by NUL bytes.
set -euo pipefail
B=$(realpath "${B:-../target/release/blastradius}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$B" run s3-2017 --method plain --runs 300 --shard 1/2 --partial plain1.json -q >/dev/null
"$B" run s3-2017 --method plain --runs 300 --shard 2/2 --partial plain2.json -q >/dev/null
strata=(--runs 60 --max-errors 0)
"$B" run s3-2017 "${strata[@]}" --shard 1/2 --partial r1a.json -q >/dev/null
"$B" run s3-2017 "${strata[@]}" --shard 2/2 --partial r1b.json -q >/dev/null
"$B" merge r1a.json r1b.json --partial pilot.json >/dev/null
"$B" run s3-2017 "${strata[@]}" --pilot pilot.json --shard 1/1 --partial r2.json -q >/dev/null
"$B" compare s3-2017 s3-cells "${strata[@]}" --shard 1/1 --partial c1.json -q >/dev/null
"$B" merge c1.json --partial cpilot.json >/dev/null
"$B" compare s3-2017 s3-cells "${strata[@]}" --pilot cpilot.json --shard 1/1 \
    --partial c2.json -q >/dev/null
seed() {
    local name=$1 mode=$2
    shift 2
    {
        printf '%s' "$mode"
        local first=1
        for f in "$@"; do
            [ "$first" = 1 ] || printf '\0'
            first=0
            cat "$f"
        done
    } >"$OLDPWD/seeds-partial/$name"
}
mkdir -p "$OLDPWD/seeds-partial"
seed plain J plain1.json plain2.json
seed strata-round1 P r1a.json r1b.json
seed strata-round2 J pilot.json r2.json
seed compare-round1 P c1.json
seed compare-round2 J cpilot.json c2.json
