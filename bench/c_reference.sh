#!/usr/bin/env bash
# Decode speed of the embedded engine against a hand-written single-threaded C reference
# (bench/c_reference/decode_ref.c), same model (stories260K), same work: greedy from BOS,
# N tokens per run, best of RUNS. Manual benchmark only; CI does not run it. Needs gcc.
# Usage: bench/c_reference.sh [TOKENS] [RUNS]   (defaults 500 and 10; TOKENS <= 512)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOKENS="${1:-500}"
RUNS="${2:-10}"
DATA="${SHARED_DATA:-$ROOT/../shared/data}"
STORIES="$DATA/llama2c_stories260K"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "gcc: $(gcc --version | head -n 1)"
# The reference build as specified: -O3 -march=native (IEEE float semantics, so gcc keeps
# single-accumulator reductions scalar). The -Ofast build is shown for context only.
gcc -O3 -march=native -o "$TMP/decode_ref" "$ROOT/bench/c_reference/decode_ref.c" -lm
gcc -Ofast -march=native -o "$TMP/decode_ref_fast" "$ROOT/bench/c_reference/decode_ref.c" -lm

EXPECTED="$(grep -o '\[.*\]' "$STORIES/VERIFY_greedy_output.txt")"
c_tps() {
  local out ids
  out="$("$1" "$STORIES/stories260K.bin" "$TOKENS" "$RUNS")"
  ids="$(printf '%s\n' "$out" | grep '^greedy token ids' | grep -o '\[.*\]')"
  if [ "$ids" != "$EXPECTED" ]; then
    echo "c_reference.sh: $1 ids differ from VERIFY_greedy_output.txt" >&2
    echo "  got      $ids" >&2
    echo "  expected $EXPECTED" >&2
    exit 1
  fi
  printf '%s\n' "$out" | tail -n 1 | sed 's/^tokens\/s: //'
}
java_tps() {
  (cd "$ROOT" && ./selftaught bench decode --model "embedded:$STORIES" --tokens "$TOKENS" \
     --threads "$1" --runs "$RUNS" 2>/dev/null) | tail -n 1 | sed 's/^tokens\/s: //'
}

C=$(c_tps "$TMP/decode_ref")
CF=$(c_tps "$TMP/decode_ref_fast")
echo "C reference: first 40 greedy ids match VERIFY_greedy_output.txt (both builds)"
J1=$(java_tps 1)
J2=$(java_tps 2)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf 'tokens per run: %s, best of %s runs\n' "$TOKENS" "$RUNS"
printf '%-34s %10s\n' case tok/s
printf '%-34s %10s\n' "C -O3 -march=native, 1 thread" "$C"
printf '%-34s %10s\n' "C -Ofast -march=native, 1 thread" "$CF"
printf '%-34s %10s\n' "Java, --threads 1" "$J1"
printf '%-34s %10s\n' "Java, --threads 2" "$J2"
printf 'ratio Java 1 thread / C -O3:   %s\n' "$(ratio "$J1" "$C")"
printf 'ratio Java 2 threads / C -O3:  %s\n' "$(ratio "$J2" "$C")"
printf 'ratio Java 1 thread / C -Ofast: %s\n' "$(ratio "$J1" "$CF")"
printf 'ratio Java 2 threads / C -Ofast: %s\n' "$(ratio "$J2" "$CF")"
