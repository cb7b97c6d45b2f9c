#!/usr/bin/env bash
# Training throughput: the pure-Java trainer against PyTorch on the CPU, same shapes and steps,
# both at the same thread count, in one run. Defaults: a stories15M-shaped Llama (dim 288,
# 6 layers, 6 heads, hidden 768, vocab 32000, tied head, ~15.2M parameters), 8 x 256 tokens per
# step, 2 threads, full fine-tuning and LoRA rank 8 on all seven projections.
# Needs: JDK 25 (tools/jdk.sh), /usr/bin/python3 with python3-torch (apt-get install -y
# python3-torch libopenblas0-pthread). Extra key=value arguments go to both sides, e.g.
#   bench/train.sh steps=10 threads=2 dim=256 layers=4
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/tools/jdk.sh"
cd "$ROOT"
[ -d engine/target/classes/dev/selftaught/engine/train ] || mvn -q -B -pl engine -DskipTests compile >&2
ARGS=(steps=5 warmup=2 threads=2 "$@")
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2
for mode in full lora; do
  "$JAVA_HOME/bin/java" $SELFTAUGHT_JVM_FLAGS -Xmx8g -cp engine/target/classes \
      dev.selftaught.engine.train.TrainBenchmark mode=$mode "${ARGS[@]}" 2>/dev/null
  /usr/bin/python3 bench/torch_train.py mode=$mode "${ARGS[@]}"
done
