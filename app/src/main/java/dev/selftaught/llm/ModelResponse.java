package dev.selftaught.llm;

import java.util.List;

/** The answer to one {@link ModelRequest}: its completions (n of them, in sample order) and usage. */
public record ModelResponse(List<Completion> completions, Usage usage) {
    public ModelResponse {
        completions = List.copyOf(completions);
        if (usage == null) usage = Usage.ZERO;
    }

    public List<String> texts() { return completions.stream().map(Completion::text).toList(); }
}
