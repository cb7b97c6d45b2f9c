package dev.selftaught.llm.embedded;

import dev.selftaught.engine.chat.ChatTemplate;
import dev.selftaught.engine.chat.DefaultChatTemplate;
import dev.selftaught.engine.generate.GenerationRequest;
import dev.selftaught.engine.generate.GenerationResult;
import dev.selftaught.engine.generate.Generator;
import dev.selftaught.engine.generate.SamplingConfig;
import dev.selftaught.engine.load.LoadedModel;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.engine.generate.LogitRules;
import dev.selftaught.llm.InvalidModelRequestException;
import dev.selftaught.llm.Completion;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.ModelStats;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.llm.TokenLogprob;
import dev.selftaught.llm.Usage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A model running in this process on the pure-Java engine. Every request (and every one of its
 * {@code n} samples) is a sequence of the engine's continuous-batching {@link Generator}, so
 * concurrent callers and {@link #completeAll} share forward passes.
 *
 * <p>Prompts: chat requests are rendered with the checkpoint's chat template, or
 * {@link DefaultChatTemplate} when it has none; raw prompts are encoded as-is after BOS (an empty
 * prompt is BOS alone). Sample {@code i} is seeded with {@link SamplingParams#sampleSeed(int)}, so
 * a seeded request gives the same completions whatever else is decoded with it. Usage counts the
 * prompt's tokens once and every generated token, including a final stop token.
 *
 * <p>Besides the common sampling fields, {@link SamplingParams#extra()} may carry vLLM's and
 * OpenAI's {@code repetition_penalty}, {@code presence_penalty}, {@code frequency_penalty},
 * {@code min_tokens}, {@code stop_token_ids} and {@code ignore_eos} (see {@link LogitRules}); any
 * other extra field is refused with {@link InvalidModelRequestException} rather than ignored.
 */
public final class EmbeddedModel implements LanguageModel {
    /** Sequences decoded together; more wait in the generator's queue. */
    static final int MAX_SEQUENCES = 32;
    /** Token rows per forward pass: decode rows plus prefill chunks. */
    static final int MAX_ROWS = 256;

    private final LoadedModel model;
    private final String identity;
    private final Generator generator;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final SecureRandom unseeded = new SecureRandom();

    public EmbeddedModel(LoadedModel model, Path location, int threads) {
        this.model = model;
        this.tokenizer = model.tokenizer();
        this.template = model.chatTemplate() != null ? model.chatTemplate() : DefaultChatTemplate.INSTANCE;
        this.identity = "embedded:" + canonical(location) + "@sha256:" + contentHash(model.files());
        this.generator = new Generator(model.tensors(), tokenizer, new Generator.Options(threads, MAX_SEQUENCES, MAX_ROWS));
    }

    private static String canonical(Path p) {
        try {
            return p.toRealPath().toString();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize().toString();
        }
    }

    /** SHA-256 over the model's files (checkpoint, tokenizer, ...), first 16 bytes in hex. */
    static String contentHash(List<Path> files) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (Path f : files) {
                // Content only (a copy elsewhere is the same model); the length separates the files.
                md.update(java.nio.ByteBuffer.allocate(8).putLong(Files.size(f)).array());
                try (InputStream in = Files.newInputStream(f)) {
                    for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(Arrays.copyOf(md.digest(), 16));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public LoadedModel loadedModel() { return model; }

    @Override
    public String identity() { return identity; }

    /** Token ids of the prompt a request turns into. */
    public int[] promptTokens(ModelRequest request) {
        if (!request.isChat()) return tokenizer.encode(request.prompt(), true);
        List<ChatTemplate.Turn> turns = new ArrayList<>();
        for (ChatMessage m : request.messages()) turns.add(new ChatTemplate.Turn(m.role(), m.content()));
        int[] ids = tokenizer.encodeWithSpecials(template.render(turns, true), true);
        // Templates that write the BOS text themselves would otherwise give two BOS tokens.
        if (ids.length > 1 && ids[0] == tokenizer.bos() && ids[1] == tokenizer.bos()) ids = Arrays.copyOfRange(ids, 1, ids.length);
        return ids;
    }

    @Override
    public ModelResponse complete(ModelRequest request) {
        return completeStreaming(request, null);
    }

    /** Text reaches {@code listener} token by token; a listener that throws cancels its sample. */
    @Override
    public ModelResponse completeStreaming(ModelRequest request, StreamListener listener) {
        try {
            return start(request, listener).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw asModelException(e.getCause());
        } catch (ModelException e) {
            failures.incrementAndGet();
            throw e;
        }
    }

    @Override
    public CompletableFuture<ModelResponse> submit(ModelRequest request, StreamListener listener) {
        return start(request, listener);
    }

    @Override
    public boolean healthy() { return generator.healthy(); }

    /** Tokens the engine has sampled so far over all requests (for load tests and benchmarks). */
    public long tokensSampled() { return generator.tokensSampled(); }

    /** Forward passes the engine has run so far (tokens sampled per pass = the running batch's size). */
    public long forwardPasses() { return generator.forwardPasses(); }

    @Override
    public ModelStats stats() {
        return new ModelStats(calls.get(), 0, failures.get(), promptTokens.get(), completionTokens.get(), null, 0);
    }

    private final AtomicLong calls = new AtomicLong(), failures = new AtomicLong(),
            promptTokens = new AtomicLong(), completionTokens = new AtomicLong();

    private CompletableFuture<ModelResponse> start(ModelRequest request) {
        return start(request, null);
    }

    /** Queues every sample of a request; the future completes with the whole response. */
    private CompletableFuture<ModelResponse> start(ModelRequest request, StreamListener listener) {
        SamplingParams p = request.params();
        int[] prompt = promptTokens(request);
        if (prompt.length == 0) {
            throw new ModelException("empty prompt and the tokenizer has no BOS token to start from", false);
        }
        int context = model.config().maxSeqLen();
        if (prompt.length >= context) {
            throw new InvalidModelRequestException("This model's maximum context length is " + context + " tokens; the prompt has "
                    + prompt.length + " tokens, and at least one more is needed for the answer. Shorten the "
                    + (request.isChat() ? "messages" : "prompt") + ".", request.isChat() ? "messages" : "prompt", "context_length_exceeded");
        }
        SamplingConfig cfg = new SamplingConfig((float) p.temperature(), p.topK(), (float) p.topP(), (float) p.minP());
        Extras x = Extras.of(p.extra(), tokenizer.stopIds(), model.config().vocabSize());
        List<GenerationRequest> reqs = new ArrayList<>();
        for (int i = 0; i < p.n(); i++) {
            Long seed = p.sampleSeed(i);
            long s = seed != null ? seed : unseeded.nextLong();
            final int index = i;
            GenerationRequest.Listener l = listener == null ? null : new GenerationRequest.Listener() {
                private int prev = prompt[prompt.length - 1];

                @Override
                public void onText(String delta) { listener.onText(index, delta); }

                @Override
                public void onText(String delta, List<dev.selftaught.engine.generate.TokenLogprob> lps) {
                    List<TokenLogprob> out = new ArrayList<>();
                    for (var lp : lps) {
                        out.add(Guided.convert(tokenizer, prev, lp));
                        prev = lp.token();
                    }
                    listener.onText(index, delta, out);
                }
            };
            // Guided decoding: each sample walks its own automaton; the prompt's logprobs once (sample 0).
            LogitRules rules = x.dfa() == null ? x.rules() : new LogitRules(x.rules().repetitionPenalty(), x.rules().presencePenalty(),
                    x.rules().frequencyPenalty(), x.rules().minTokens(),
                    new dev.selftaught.engine.generate.GuidedMask(x.dfa(), tokenizer, x.stopIds(), prompt[prompt.length - 1]));
            reqs.add(new GenerationRequest(prompt, cfg, p.maxTokens(), s, x.stopIds(), p.stop(), l, rules,
                    x.topLogprobs(), x.echo() && i == 0));
        }
        // The n samples share one prefill of the prompt (the others copy its KV cache).
        List<CompletableFuture<GenerationResult>> samples = generator.submitSamePrompt(reqs);
        CompletableFuture<ModelResponse> all = CompletableFuture.allOf(samples.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<Completion> completions = new ArrayList<>();
            long generated = 0;
            List<TokenLogprob> promptLps = x.echo() ? Guided.convert(tokenizer, -1, samples.getFirst().join().promptLogprobs()) : null;
            for (CompletableFuture<GenerationResult> f : samples) {
                GenerationResult r = f.join();
                completions.add(new Completion(r.text(), r.finish() == GenerationResult.Finish.STOP ? "stop" : "length",
                        r.logprobs() == null ? null : Guided.convert(tokenizer, prompt[prompt.length - 1], r.logprobs()), promptLps));
                generated += r.completionTokens();
            }
            return new ModelResponse(completions, new Usage(prompt.length, generated));
        });
        // Cancelling the request's future (its client went away) cancels every sample in the engine.
        CompletableFuture<ModelResponse> result = new CompletableFuture<>();
        result.whenComplete((r, e) -> {
            if (result.isCancelled()) for (CompletableFuture<GenerationResult> f : samples) f.cancel(true);
        });
        all.whenComplete((resp, err) -> {
            if (resp != null) result.complete(resp);
            else result.completeExceptionally(err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err);
        });
        result.whenComplete((resp, err) -> {
            if (resp != null) {
                calls.incrementAndGet();
                promptTokens.addAndGet(resp.usage().promptTokens());
                completionTokens.addAndGet(resp.usage().completionTokens());
            } else {
                failures.incrementAndGet();
            }
        });
        return result; // itself, not a dependent stage: cancelling it must reach the samples
    }

    /** The extra sampling fields this backend implements, checked. */
    record Extras(int[] stopIds, LogitRules rules, int topLogprobs, boolean echo, dev.selftaught.engine.generate.ByteDfa dfa) {
        static Extras of(java.util.Map<String, Object> extra, int[] eos, int vocab) {
            float rep = 1f, presence = 0f, frequency = 0f;
            int minTokens = 0;
            boolean ignoreEos = false;
            int topLogprobs = -1;
            boolean echo = false;
            dev.selftaught.engine.generate.ByteDfa dfa = null;
            List<Integer> stopTokenIds = List.of();
            for (var e : extra.entrySet()) {
                String k = e.getKey();
                Object v = e.getValue();
                switch (k) {
                    case "repetition_penalty" -> rep = number(k, v);
                    case "presence_penalty" -> presence = number(k, v);
                    case "frequency_penalty" -> frequency = number(k, v);
                    case "min_tokens" -> minTokens = (int) number(k, v);
                    case "ignore_eos" -> {
                        if (!(v instanceof Boolean b)) throw bad(k, k + " must be a boolean");
                        ignoreEos = b;
                    }
                    case "stop_token_ids" -> {
                        if (!(v instanceof List<?> list)) throw bad(k, k + " must be a list of token ids");
                        List<Integer> ids = new ArrayList<>();
                        for (Object o : list) {
                            if (!(o instanceof Number n) || n.doubleValue() != n.intValue() || n.intValue() < 0 || n.intValue() >= vocab) {
                                throw bad(k, k + " must hold token ids in [0, " + vocab + "), got " + o);
                            }
                            ids.add(n.intValue());
                        }
                        stopTokenIds = ids;
                    }
                    case SamplingParams.LOGPROBS -> {
                        topLogprobs = (int) number(k, v);
                        if (topLogprobs < 0 || topLogprobs > dev.selftaught.engine.generate.TokenLogprob.MAX_TOP) {
                            throw bad(k, "top log-probabilities must be in [0, 20], got " + topLogprobs);
                        }
                    }
                    case SamplingParams.ECHO -> {
                        if (!(v instanceof Boolean b)) throw bad(k, k + " must be a boolean");
                        echo = b;
                    }
                    case Guided.CHOICE, Guided.REGEX -> {
                        if (dfa != null) throw bad(k, "at most one of guided_choice and guided_regex");
                        dfa = Guided.automaton(k, v);
                    }
                    default -> throw bad(k, k + " is not supported by the embedded engine");
                }
            }
            int[] base = ignoreEos ? new int[0] : eos;
            int[] stops = java.util.stream.IntStream.concat(Arrays.stream(base), stopTokenIds.stream().mapToInt(Integer::intValue))
                    .distinct().toArray();
            try {
                if (echo && topLogprobs < 0) topLogprobs = 0;
                return new Extras(stops, new LogitRules(rep, presence, frequency, minTokens, null), topLogprobs, echo, dfa);
            } catch (IllegalArgumentException ex) {
                String field = ex.getMessage().split(" ")[0];
                throw bad(field, ex.getMessage());
            }
        }

        private static float number(String k, Object v) {
            if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) throw bad(k, k + " must be a finite number");
            return n.floatValue();
        }

        static InvalidModelRequestException bad(String param, String message) {
            return new InvalidModelRequestException(message, param, "invalid_value");
        }
    }

    private static ModelException asModelException(Throwable t) {
        if (t instanceof ModelException me) return me;
        if (t instanceof IllegalArgumentException) return new ModelException(t.getMessage(), false, t);
        return new ModelException("embedded engine failed: " + t, false, t);
    }

    /**
     * Queues every request at once so that they are decoded together, and hands each response to
     * {@code sink} as soon as all its samples are done. {@code concurrency} is ignored: the
     * engine's batch size bounds the work in flight.
     */
    @Override
    public void completeAll(List<ModelRequest> requests, int concurrency, ResultSink sink) {
        CountDownLatch done = new CountDownLatch(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            final int index = i;
            CompletableFuture<ModelResponse> f;
            try {
                f = start(requests.get(i));
            } catch (RuntimeException e) {
                failures.incrementAndGet();
                try {
                    sink.accept(index, null, asModelException(e));
                } finally {
                    done.countDown();
                }
                continue;
            }
            f.whenComplete((resp, err) -> {
                try {
                    if (err != null) {
                        Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
                        sink.accept(index, null, asModelException(cause));
                    } else {
                        sink.accept(index, resp, null);
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelException("interrupted while waiting for the embedded engine", true, e);
        }
    }

    @Override
    public void close() { generator.close(); }
}
