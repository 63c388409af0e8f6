#!/usr/bin/env bash
# Runs on the GPU machine (no cargo, no network), from the repository root, after
# `cargo xtask gpu stage` put the CUDA build in .gpu/. Usage: bash scripts/gpu-job.sh JOB...
# Jobs: crosscheck, fig2, manywell, bench. Everything that comes back is written to $OUT
# (at most 8 files): job.log, nvidia-smi.txt, crosscheck.{txt,json}, results.tar.gz, bench.tar.gz.
# `cargo xtask gpu collect <folder>` puts them in place here.
set -uo pipefail
: "${OUT:?OUT must name the folder whose files come back}"
BIN=.gpu/bin
# A dry run on a CPU machine: GPU_DEVICE=flex GPU_PROFILE=smoke GPU_DIMS=2 (the plumbing, no GPU).
DEVICE=${GPU_DEVICE:-cuda}
PROFILE=${GPU_PROFILE:-paper}
# Seconds this command may use; jobs that run long stop cleanly before it (sweeps resume).
BUDGET=${GPU_JOB_SECONDS:-560}
START=$(date +%s)
left() { echo $((BUDGET - ($(date +%s) - START))); }
exec > >(tee -a "$OUT/job.log") 2>&1
# The binaries travel xz-compressed (64 MiB limit); Python's lzma is there even where xz is not.
python3 - <<'PY' || { echo "cannot unpack .gpu/bin/*.xz"; exit 2; }
import glob, lzma, os, shutil
for f in glob.glob(".gpu/bin/*.xz"):
    with lzma.open(f) as src, open(f[:-3], "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.chmod(f[:-3], 0o755)
PY
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || echo "nvidia-smi failed (no GPU?)"
head -15 "$OUT/nvidia-smi.txt"
status=0
for job in "$@"; do
  echo "== $job ($(left) s left)"
  case "$job" in
    crosscheck)
      "$BIN/socbench" crosscheck --device "$DEVICE" --reference flex --json "$OUT/crosscheck.json" \
        | tee "$OUT/crosscheck.txt" || status=1 ;;
    fig2|manywell)
      exp=$job; [ "$job" = manywell ] && exp=fig3
      timeout --signal=INT "$(left)" "$BIN/xtask" replicate "$exp" --profile "$PROFILE" --device "$DEVICE" \
        --dims "${GPU_DIMS:-50}" --seeds "${GPU_SEEDS:-1}" --jobs 1 --results .gpu/results --reports .gpu/reports \
        || { echo "$job: stopped or failed (rc $?); finished cells come back, the rest resumes"; status=1; } ;;
    bench)
      mkdir -p .gpu/bench/peers
      CARGO_TARGET_DIR=.gpu/bench SOCBENCH_BENCH_DEVICE=$DEVICE SOCBENCH_BENCH_D=50 \
        SOCBENCH_BENCH_K="${GPU_BENCH_K:-50000}" timeout "$(left)" "$BIN/kernels" --bench ${GPU_BENCH_FILTER:-} || status=1
      (cd benchmarks/peers && timeout "$(left)" python3 peer_torch.py --device "${DEVICE/flex/cpu}" --d 50 \
        --k "${GPU_BENCH_K:-50000}") > .gpu/bench/peers/peer_torch.py.json \
        2> .gpu/bench/peers/peer_torch.py.err || status=1
      [ -s .gpu/bench/peers/peer_torch.py.json ] && rm -f .gpu/bench/peers/peer_torch.py.err \
        || rm -f .gpu/bench/peers/peer_torch.py.json ;;
    *) echo "unknown job '$job': allowed crosscheck, fig2, manywell, bench"; status=2 ;;
  esac
done
[ -d .gpu/results ] && tar czf "$OUT/results.tar.gz" .gpu/results
[ -d .gpu/bench ] && tar czf "$OUT/bench.tar.gz" --exclude='*.svg' --exclude='report' .gpu/bench/criterion .gpu/bench/peers .gpu/commit.txt
echo "== done (rc $status, $(( $(date +%s) - START )) s)"
exit $status
