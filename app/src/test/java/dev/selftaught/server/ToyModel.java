package dev.selftaught.server;

import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.llm.Usage;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small, fully deterministic language model for server tests (a real implementation of the
 * interface, not a mock): it "generates" by echoing the words of the prompt (the last message for
 * chat) and then words {@code w0..w999} drawn from a Random seeded by the sample's seed and the
 * prompt; with temperature 0 it is greedy (the seed is ignored). One word = one token. Stop
 * strings cut the text before their first occurrence (finish "stop"); otherwise the text ends
 * after max_tokens words (finish "length"). A prompt containing "FAIL" throws a ModelException, one containing "CRASH" an IllegalStateException.
 */
final class ToyModel implements LanguageModel {
    final boolean incremental;
    final long delayMillis;
    final AtomicInteger calls = new AtomicInteger();

    ToyModel(boolean incremental, long delayMillis) {
        this.incremental = incremental;
        this.delayMillis = delayMillis;
    }

    @Override
    public String identity() {
        return "toy";
    }

    @Override
    public ModelResponse complete(ModelRequest request) {
        return generate(request, null);
    }

    @Override
    public ModelResponse completeStreaming(ModelRequest request, StreamListener listener) {
        // The non-incremental variant exercises LanguageModel's default (whole texts at the end).
        return incremental ? generate(request, listener) : LanguageModel.super.completeStreaming(request, listener);
    }

    private ModelResponse generate(ModelRequest request, StreamListener listener) {
        calls.incrementAndGet();
        String prompt = request.isChat() ? request.messages().getLast().content() : request.prompt();
        if (prompt.contains("FAIL")) throw new ModelException("toy failure requested", prompt.contains("RETRY"));
        if (prompt.contains("CRASH")) throw new IllegalStateException("toy bug");
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModelException("interrupted", true, e);
            }
        }
        SamplingParams p = request.params();
        List<Completion> out = new ArrayList<>();
        long completionTokens = 0;
        for (int i = 0; i < p.n(); i++) {
            Completion c = sample(prompt, p, i);
            completionTokens += c.text().isEmpty() ? 0 : c.text().split(" ").length;
            if (listener != null) {
                String[] words = c.text().split(" ", -1);
                for (int w = 0; w < words.length; w++) {
                    String delta = (w == 0 ? "" : " ") + words[w];
                    if (!delta.isEmpty()) listener.onText(i, delta);
                }
            }
            out.add(c);
        }
        return new ModelResponse(out, new Usage(promptTokens(request), completionTokens));
    }

    static long promptTokens(ModelRequest r) {
        if (!r.isChat()) return words(r.prompt()).size();
        return r.messages().stream().mapToLong(m -> words(m.content()).size()).sum();
    }

    /** What the toy generates for sample {@code index} of a request; tests use it as the oracle. */
    static Completion sample(String prompt, SamplingParams p, int index) {
        Long seed = p.sampleSeed(index);
        Random rng = p.temperature() == 0 ? new Random(prompt.hashCode())
                : seed != null ? new Random(seed * 31 + prompt.hashCode()) : new Random(ThreadLocalRandom.current().nextLong());
        List<String> words = new ArrayList<>(words(prompt));
        while (words.size() < p.maxTokens()) words.add("w" + rng.nextInt(1000));
        String text = String.join(" ", words.subList(0, p.maxTokens()));
        String finish = "length";
        int cut = -1;
        for (String s : p.stop()) {
            int at = text.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0) {
            text = text.substring(0, cut);
            finish = "stop";
        }
        return new Completion(text, finish);
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    }

    static ChatMessage user(String s) {
        return ChatMessage.user(s);
    }
}
