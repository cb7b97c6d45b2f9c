#!/usr/bin/env bash
# The embedded engine against llama.cpp on the same TinyLlama-1.1B-shaped GGUF files (random
# weights, Llama-2 tokenizer), same threads, in one run, alternating engine by engine per file so
# that load from other processes hits both alike. Per file and engine: load time, resident memory
# after load, prefill tok/s of a P-token prompt, decode tok/s of one stream (with the share of the
# memory-bandwidth ceiling: file bytes per token / measured bandwidth), and S streams decoded
# together (Q8_0 only).
#   llama.cpp: the CPU build bundled in the de.kherud:llama test dependency (libjllama.so, C API
#   exported), driven by bench/llamacpp/llamacpp_bench.c through dlopen. Bench only.
# Usage: bench/llamacpp.sh [--threads T] [--tokens N] [--prompt P] [--streams S] [--rounds R] [--types "Q4_0 Q8_0 F16"]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS=2 TOKENS=64 PROMPT=512 STREAMS=16 ROUNDS=2 TYPES="Q4_0 Q8_0 F16" BANDWIDTH_GBS=66
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS="$2"; shift 2 ;;
    --tokens) TOKENS="$2"; shift 2 ;;
    --prompt) PROMPT="$2"; shift 2 ;;
    --streams) STREAMS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --types) TYPES="$2"; shift 2 ;;
    *) echo "usage: bench/llamacpp.sh [--threads T] [--tokens N] [--prompt P] [--streams S] [--rounds R] [--types \"Q4_0 Q8_0 F16\"]" >&2; exit 2 ;;
  esac
done
. "$ROOT/tools/jdk.sh"
DATA="${SHARED_DATA:-$ROOT/../shared/data}"
OUT="$ROOT/bench/out"
MODELS="$OUT/tiny"
mkdir -p "$MODELS"
JAR="${SELFTAUGHT_JAR:-$ROOT/app/target/selftaught.jar}"
[ -f "$JAR" ] || (cd "$ROOT" && mvn -q -B -DskipTests package >&2)
java_run() { "$JAVA_HOME/bin/java" $SELFTAUGHT_JVM_FLAGS -jar "$JAR" "$@"; }

# llama.cpp library from the test dependency's jar, and the C driver
LLJAR=$(find "$HOME/.m2/repository/de/kherud/llama" -name 'llama-*.jar' | sort | tail -n 1)
[ -n "$LLJAR" ] || { echo "llamacpp.sh: de.kherud:llama not in ~/.m2 (run the engine tests once)" >&2; exit 2; }
LIBDIR="$OUT/llamacpp-lib"
if [ ! -f "$LIBDIR/libjllama.so" ]; then
  mkdir -p "$LIBDIR"
  unzip -o -q -j "$LLJAR" 'de/kherud/llama/Linux/x86_64/libjllama.so' -d "$LIBDIR"
fi
DRIVER="$OUT/llamacpp_bench"
if [ ! -x "$DRIVER" ] || [ "$ROOT/bench/llamacpp/llamacpp_bench.c" -nt "$DRIVER" ]; then
  cc -O2 -Wall -o "$DRIVER" "$ROOT/bench/llamacpp/llamacpp_bench.c" -ldl
fi

for t in $TYPES; do
  if [ ! -f "$MODELS/model-$t.gguf" ]; then
    java_run bench make-random-model --out "$MODELS" --gguf-type "$t" --dim 2048 --hidden-dim 5632 --layers 22 --heads 32 \
      --kv-heads 4 --vocab 32000 --seq-len 2048 --tokenizer "$DATA/llama2_tokenizer/tokenizer.model" >&2
  fi
done

field() { grep "^$1" | tail -n 1 | sed "s|^$1[: ]*||"; }
printf '%-5s %-9s %6s %9s %8s %10s %10s %7s %12s\n' type engine load_s rss_MB peak_MB prefill/s decode/s "%bw" "${STREAMS}str/s"
for round in $(seq 1 "$ROUNDS"); do
  for t in $TYPES; do
    f="$MODELS/model-$t.gguf"
    bytes=$(stat -c %s "$f")
    S=1; [ "$t" = Q8_0 ] && S="$STREAMS"
    # ours
    o=$(java_run bench decode --model "$f" --tokens "$TOKENS" --streams 1 --threads "$THREADS" --runs 2 --warmup 0 --prompt-tokens "$PROMPT" 2>/dev/null)
    load=$(echo "$o" | sed -n 's/^load: \([0-9.]*\) s.*/\1/p'); rss=$(echo "$o" | sed -n 's/.*resident after load \([0-9,]*\) MB.*/\1/p' | tr -d ,)
    peak=$(echo "$o" | sed -n 's/.*peak \([0-9,]*\) MB.*/\1/p' | tr -d ,); pre=$(echo "$o" | field "prefill tokens/s"); dec=$(echo "$o" | field "tokens/s")
    multi="-"
    if [ "$S" -gt 1 ]; then
      multi=$(java_run bench decode --model "$f" --tokens "$TOKENS" --streams "$S" --threads "$THREADS" --runs 2 --warmup 0 2>/dev/null | field "tokens/s")
    fi
    bw=$(awk -v b="$bytes" -v d="$dec" -v g="$BANDWIDTH_GBS" 'BEGIN { printf "%.0f", 100 * b * d / (g * 1e9) }')
    printf '%-5s %-9s %6s %9s %8s %10s %10s %7s %12s\n' "$t" selftaught "$load" "$rss" "$peak" "$pre" "$dec" "$bw" "$multi"
    # llama.cpp
    c=$("$DRIVER" "$LIBDIR/libjllama.so" "$f" "$THREADS" "$PROMPT" "$TOKENS" "$S" 2 2>/dev/null)
    cdec=$(echo "$c" | field decode_tps); cbw=$(awk -v b="$bytes" -v d="$cdec" -v g="$BANDWIDTH_GBS" 'BEGIN { printf "%.0f", 100 * b * d / (g * 1e9) }')
    cm="-"; [ "$S" -gt 1 ] && cm=$(echo "$c" | field streams_tps)
    printf '%-5s %-9s %6s %9s %8s %10s %10s %7s %12s\n' "$t" llama.cpp "$(echo "$c" | field load_s)" "$(echo "$c" | field rss_after_load_mb)" \
      "$(echo "$c" | field peak_rss_mb)" "$(echo "$c" | field prefill_tps)" "$cdec" "$cbw" "$cm"
  done
done
echo "threads: $THREADS; prompt $PROMPT; $TOKENS new tokens; bandwidth ceiling ${BANDWIDTH_GBS} GB/s; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
