#!/usr/bin/env bash
# Reruns committed reports from a clean tree, with their results tables and the index:
#   scripts/refresh-reports.sh fig3:cpu-long table1:cpu [...]
# For each experiment:profile it runs `cargo xtask replicate` into $RESULTS (default
# results/; resumable: a rerun skips finished cells), which writes reports/<stem>.md, then
# `cargo xtask export --format csv.gz`; at the end `cargo xtask report --all` rewrites every
# report whose results are in $RESULTS and reports/index.md. Views of another experiment's runs
# (fig7 of fig2, fig9 of fig3) are rewritten by `report --all` when their data is there.
# Commit the changed reports/ afterwards: `tests/committed_reports.rs` checks the index is current.
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS="${RESULTS:-results}"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    echo "refresh-reports: the tree has uncommitted changes; reports must come from a clean commit" >&2
    exit 1
fi
for job in "$@"; do
    exp="${job%%:*}"
    profile="${job#*:}"
    [ "$profile" = "$job" ] && profile=cpu
    echo "== $exp --profile $profile ($(date -u +%H:%M:%S))"
    cargo xtask replicate "$exp" --profile "$profile" --results "$RESULTS"
    cargo xtask export "$exp" --profile "$profile" --results "$RESULTS" --format csv.gz
done
cargo xtask report --all --results "$RESULTS"
echo "== done ($(date -u +%H:%M:%S)): commit reports/"
