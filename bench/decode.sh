#!/usr/bin/env bash
# Decode-speed benchmark of the embedded engine against a PyTorch CPU reference, same weights,
# same work (greedy from BOS, exactly N tokens per stream), both limited to the same threads.
#   (a) stories260K (real weights), 1 stream
#   (b) a ~15M-parameter Llama (stories15M shape) with random weights, 1 stream and 16 streams
# Usage: bench/decode.sh [--threads T] [--no-torch]
# Needs: apt-get install -y python3-torch libopenblas0-pthread (the reference runs with
# /usr/bin/python3); with --no-torch, or when torch is missing, only the Java numbers are printed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS=2
TORCH=1
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS="$2"; shift 2 ;;
    --no-torch) TORCH=0; shift ;;
    *) echo "usage: bench/decode.sh [--threads T] [--no-torch]" >&2; exit 2 ;;
  esac
done
DATA="${SHARED_DATA:-$ROOT/../shared/data}"
STORIES="$DATA/llama2c_stories260K"
WORK="$ROOT/bench/out"
mkdir -p "$WORK"
if [ ! -f "$WORK/random15m/model.bin" ]; then
  "$ROOT/selftaught" bench make-random-model --out "$WORK/random15m" --seed 1 >&2
fi
if [ "$TORCH" = 1 ] && ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "decode.sh: /usr/bin/python3 cannot import torch; reporting Java only (apt-get install -y python3-torch libopenblas0-pthread)" >&2
  TORCH=0
fi
# OpenBLAS and OpenMP would otherwise start one thread per core on their own.
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"

last() { tail -n 1 | sed 's/^tokens\/s: //'; }
java_tps() { "$ROOT/selftaught" bench decode --model "$1" --tokens "$2" --streams "$3" --threads "$THREADS" --runs 3 --warmup 5 2>/dev/null | last; }
torch_tps() { /usr/bin/python3 "$ROOT/bench/decode_torch.py" "$1" --tokens "$2" --streams "$3" --threads "$THREADS" --runs 3 2>/dev/null | last; }

printf '%-34s %8s %7s %14s %14s %7s\n' case tokens streams java_tok/s torch_tok/s ratio
run_case() {
  local name="$1" model="$2" tokens="$3" streams="$4" j t ratio
  j=$(java_tps "$model" "$tokens" "$streams")
  if [ "$TORCH" = 1 ]; then
    t=$(torch_tps "$model" "$tokens" "$streams")
    ratio=$(awk -v a="$j" -v b="$t" 'BEGIN { printf "%.1fx", a / b }')
  else
    t="-"; ratio="-"
  fi
  printf '%-34s %8s %7s %14s %14s %7s\n' "$name" "$tokens" "$streams" "$j" "$t" "$ratio"
}
run_case "stories260K, greedy"        "$STORIES/stories260K.bin"  256 1
run_case "random 15M (stories15M shape)" "$WORK/random15m/model.bin" 128 1
run_case "random 15M (stories15M shape)" "$WORK/random15m/model.bin" 128 16
echo "threads: $THREADS; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
