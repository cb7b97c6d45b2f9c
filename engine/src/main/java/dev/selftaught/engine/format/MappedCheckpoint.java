package dev.selftaught.engine.format;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.ModelWeights;
import dev.selftaught.engine.tokenizer.Tokenizer;

/**
 * A checkpoint opened for inference with its matrices left in the file in their stored encoding
 * (see {@link ModelWeights}); {@code weights.floats()} gives the float form of {@link Checkpoint}.
 *
 * @param tokenizer    the vocabulary, or null when the checkpoint carries none
 * @param chatTemplate the Jinja chat template source text, or null
 */
public record MappedCheckpoint(LlamaConfig config, ModelWeights weights, Tokenizer tokenizer, String chatTemplate) {}
