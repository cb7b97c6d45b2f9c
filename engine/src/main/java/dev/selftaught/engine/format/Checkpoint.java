package dev.selftaught.engine.format;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.tokenizer.Tokenizer;

/**
 * Everything a checkpoint holds, in the engine's in-memory form.
 *
 * @param config       model shape
 * @param weights      dequantized float weights, adjacent-pair rotary layout
 * @param tokenizer    the vocabulary, or null when the checkpoint carries none
 * @param chatTemplate the Jinja chat template source text, or null when the checkpoint has none
 */
public record Checkpoint(LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer, String chatTemplate) {}
