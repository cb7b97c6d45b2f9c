#!/usr/bin/env bash
# Cost of one GRPO step on a small judge, sampling and training separately, with anchors from the
# same run: the engine's batched greedy decode (`bench decode`, same model, 16 streams) for the
# sampling side and the SFT trainer on random weights of the same shape (TrainBenchmark) for the
# training side.
#   bench/grpo.sh MODEL_DIR PAIRS.jsonl TEMPLATE [STEPS]
# e.g. the micro-world seed: bench/grpo.sh ~/.cache/selftaught/microworld-seed-cc253dc1e4c9 pairs.jsonl judge.prompt 6
# The micro-world seed's shape (dim 128, hidden 352, 4 layers, 4 heads, vocab 1024, context 192) is
# the TrainBenchmark default here; pass SHAPE="dim=... hidden=..." for another model.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/tools/jdk.sh"
MODEL="$1"; PAIRS="$2"; TEMPLATE="$3"; STEPS="${4:-6}"
SHAPE="${SHAPE:-dim=128 hidden=352 layers=4 heads=4 kv_heads=4 vocab=1024 seq=160 batch=16}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
"$ROOT/selftaught" --version >/dev/null 2>&1 || true   # builds the jar when sources changed
JAR="$ROOT/app/target/selftaught.jar"
J=("$JAVA_HOME/bin/java" $SELFTAUGHT_JVM_FLAGS)
head -n $((STEPS * 4)) "$PAIRS" > "$OUT/pairs.jsonl"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"${J[@]}" -jar "$JAR" train-grpo --base "embedded:$MODEL" --pairs "$OUT/pairs.jsonl" --template "$TEMPLATE" --out "$OUT/grpo" \
    --set group_size=8 --set pairs_per_step=4 --set max_tokens=40 --set threads=2 --set lr=1e-5 --set eval_every=0 2>/dev/null
python3 - "$OUT/grpo/grpo-steps.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][1:]   # step 1 includes JIT warm-up
med = lambda k: statistics.median(r[k] for r in rows)
print(f"grpo steps 2..{len(rows)+1}: sampled tokens/step {med('sampled_tokens'):.0f} (64 judgments), "
      f"sampling {med('sample_tokens_per_s'):.0f} tok/s; trained tokens/step {med('trained_tokens'):.0f} (prompt+judgment), "
      f"training {med('train_tokens_per_s'):.0f} tok/s (medians; min-max sampling "
      f"{min(r['sample_tokens_per_s'] for r in rows):.0f}-{max(r['sample_tokens_per_s'] for r in rows):.0f}, training "
      f"{min(r['train_tokens_per_s'] for r in rows):.0f}-{max(r['train_tokens_per_s'] for r in rows):.0f})")
PY
echo "anchor, batched greedy decode of the same model (16 streams x 40 tokens):"
"${J[@]}" -jar "$JAR" bench decode --model "$MODEL" --streams 16 --tokens 40 --threads 2 2>/dev/null | tail -n 1
echo "anchor, SFT trainer on random weights of the same shape ($SHAPE):"
"${J[@]}" -cp "$JAR" dev.selftaught.engine.train.TrainBenchmark mode=full $SHAPE steps=5 warmup=2 threads=2 2>/dev/null
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
