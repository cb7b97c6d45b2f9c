package dev.selftaught.engine.load;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.model.ModelWeights;
import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;

/**
 * A model ready to run: its shape, weights, tokenizer, and chat template (null when the
 * checkpoint carries none; callers then use their documented default).
 *
 * @param tensors the weights as inference reads them, possibly still in the file's encoding
 *                (memory-mapped); {@link #weights()} gives the float form for training
 * @param files   the files the model was read from (the checkpoint first), e.g. to hash its content
 */
public record LoadedModel(LlamaConfig config, ModelWeights tensors, Tokenizer tokenizer, ChatTemplate chatTemplate,
                          List<Path> files) {
    public LoadedModel {
        files = List.copyOf(files);
    }

    /** A model over float weights (shared, not copied). */
    public LoadedModel(LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer, ChatTemplate chatTemplate, List<Path> files) {
        this(config, ModelWeights.of(weights), tokenizer, chatTemplate, files);
    }

    /**
     * The weights as float arrays (for the trainer and checkpoint writers). For a memory-mapped
     * model this decodes every matrix on first call (about 4 bytes per parameter on the heap), so
     * inference should use {@link #tensors()}.
     */
    public LlamaWeights weights() { return tensors.floats(); }
}
