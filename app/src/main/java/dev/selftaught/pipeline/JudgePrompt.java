package dev.selftaught.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.selftaught.data.InputError;
import dev.selftaught.llm.ChatMessage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The judge prompt: an optional system text and a user template with {input}, {response_a} and
 * {response_b}. The default is the project's own text in the pair-v2 structure (spec §3.1). A
 * template file may replace it: YAML/JSON with keys {@code system} and {@code user}, or any other
 * file taken whole as the user template (no system message).
 */
public record JudgePrompt(String name, String system, PromptTemplate user) {

    public static JudgePrompt pairV2() {
        return new JudgePrompt("pair-v2 (built-in)",
                PromptTemplate.resource("judge_pair_v2.system.prompt").text().strip(),
                PromptTemplate.resource("judge_pair_v2.user.prompt"));
    }

    public static JudgePrompt load(String path) {
        if (path == null || path.isBlank()) return pairV2();
        Path p = Path.of(path);
        String lower = path.toLowerCase();
        JudgePrompt j;
        if (lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json")) {
            JsonNode n;
            try {
                n = new ObjectMapper(new YAMLFactory()).readTree(p.toFile());
            } catch (IOException e) {
                throw new InputError(p + ": cannot read judge template: " + e.getMessage(), e);
            }
            if (n == null || !n.hasNonNull("user")) throw InputError.at(p, 0, "user", "missing: the judge template needs a user text");
            j = new JudgePrompt(p.toString(), n.hasNonNull("system") ? n.get("system").asText() : null,
                    new PromptTemplate(p + " (user)", n.get("user").asText()));
        } else {
            j = new JudgePrompt(p.toString(), null, PromptTemplate.file(p));
        }
        j.user().requireSlots("input", "response_a", "response_b");
        return j;
    }

    /** The chat messages for one judgment: a fresh list every call. */
    public List<ChatMessage> render(String input, String responseA, String responseB) {
        List<ChatMessage> m = new ArrayList<>(2);
        if (system != null && !system.isEmpty()) m.add(ChatMessage.system(system));
        m.add(ChatMessage.user(user.render(Map.of("input", input, "response_a", responseA, "response_b", responseB))));
        return List.copyOf(m);
    }

    /** Hash of the prompt texts, for stage markers. */
    public String hash() {
        return PipelineIo.sha256((system == null ? "" : system) + "\u0000" + user.text());
    }
}
