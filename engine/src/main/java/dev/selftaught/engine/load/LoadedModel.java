package dev.selftaught.engine.load;

import dev.selftaught.engine.model.LlamaConfig;
import dev.selftaught.engine.model.LlamaWeights;
import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;

/**
 * A model ready to run: its shape, weights, tokenizer, and chat template (null when the
 * checkpoint carries none; callers then use their documented default).
 *
 * @param files the files the model was read from (the checkpoint first), e.g. to hash its content
 */
public record LoadedModel(LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer, ChatTemplate chatTemplate,
                          List<Path> files) {
    public LoadedModel {
        files = List.copyOf(files);
    }
}
