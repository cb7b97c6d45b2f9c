package dev.selftaught.store;

import dev.selftaught.llm.Completion;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.ModelStats;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.llm.Usage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wraps any model with the durable {@link CallStore}: each sample of a request is looked up by its
 * content key, only missing samples are asked of the model, and each new result is committed to
 * the store before it is returned to the caller.
 *
 * <p><b>Seeds.</b> When the request has a seed, every missing sample {@code i} is requested on its
 * own ({@code n=1}) with seed {@link SamplingParams#sampleSeed(int) sampleSeed(i)}: what sample
 * {@code i} is does not depend on which other samples happened to be stored already, so a resumed
 * run returns what an uninterrupted one would. Without a seed, the missing samples are requested
 * together with {@code n} = their count (results are random anyway; one call is cheaper).
 *
 * <p><b>Failures.</b> A call that fails (retries exhausted, or a non-retryable error) is recorded
 * per sample with its reason. Later requests for it fail again at once from the store, without a
 * call, unless the model was opened with {@code retryFailed}: then exactly the recorded failures
 * are tried again (everything completed is still served from the store).
 *
 * <p>Identical requests in flight at the same time are computed once (the second waits for the
 * first and then reads the store).
 */
public final class CachedModel implements LanguageModel {

    private final LanguageModel inner;
    private final CallStore store;
    private final boolean retryFailed;
    private final String identity;
    private final ConcurrentHashMap<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
    private final LongAdder fromStore = new LongAdder();

    public CachedModel(LanguageModel inner, CallStore store, boolean retryFailed) {
        this.inner = inner;
        this.store = store;
        this.retryFailed = retryFailed;
        this.identity = inner.identity();
    }

    public LanguageModel inner() { return inner; }

    @Override
    public String identity() { return identity; }

    @Override
    public ModelStats stats() { return inner.stats().withSamplesFromStore(fromStore.sum()); }

    @Override
    public void close() { inner.close(); }

    /** True when every sample of the request is stored (so it will be answered without a call). */
    public boolean isComplete(ModelRequest request) {
        int n = request.params().n();
        Map<Integer, StoredSample> stored = store.samples(CallKeys.requestKey(identity, request), n);
        if (stored.size() < n) return false;
        for (StoredSample s : stored.values()) if (!s.ok()) return false;
        return true;
    }

    /** A model call that produces some of a request's samples. */
    private record SubCall(ModelRequest request, List<Integer> indexes) {}

    /** What a request needs: which samples are stored, which must be called for, or a failure to replay. */
    private final class Plan {
        final ModelRequest request;
        final String canonical;
        final String requestKey;
        final Completion[] completions;
        final Usage[] usages;
        final List<SubCall> subs = new ArrayList<>();
        final AtomicInteger pendingSubs = new AtomicInteger();
        volatile String failure;

        Plan(ModelRequest request) {
            this(request, CallKeys.canonical(identity, request));
        }

        Plan(ModelRequest request, String canonical) {
            this.request = request;
            this.canonical = canonical;
            this.requestKey = CallKeys.sha256(canonical);
            int n = request.params().n();
            completions = new Completion[n];
            usages = new Usage[n];
            Map<Integer, StoredSample> stored = store.samples(requestKey, n);
            List<Integer> missing = new ArrayList<>();
            int hits = 0;
            for (int i = 0; i < n; i++) {
                StoredSample s = stored.get(i);
                if (s != null && s.ok()) {
                    completions[i] = s.completion();
                    usages[i] = s.usage();
                    hits++;
                } else if (s != null && !retryFailed) {
                    failure = "failed earlier (" + s.error() + "); rerun with --retry-failed to try again";
                } else {
                    missing.add(i);
                }
            }
            if (failure != null) return;
            fromStore.add(hits);
            if (missing.isEmpty()) return;
            SamplingParams p = request.params();
            if (p.seed() != null) {
                for (int i : missing) subs.add(new SubCall(request.withParams(p.withN(1).withSeed(p.sampleSeed(i))), List.of(i)));
            } else {
                subs.add(new SubCall(request.withParams(p.withN(missing.size())), missing));
            }
            pendingSubs.set(subs.size());
        }

        boolean ready() { return failure != null || subs.isEmpty(); }

        /** Stores one sub-call's result (durably) and fills it in. Returns true when this was the last pending sub-call. */
        boolean accept(SubCall sub, ModelResponse response, ModelException error) {
            return acceptAsync(sub, response, error).join();
        }

        /**
         * Queues one sub-call's result for the store; once it is durable, fills it in. The future
         * says whether this was the last pending sub-call of the request.
         */
        CompletableFuture<Boolean> acceptAsync(SubCall sub, ModelResponse response, ModelException error) {
            List<StoredSample> rows = new ArrayList<>();
            Runnable apply;
            if (response != null) {
                List<Completion> got = response.completions();
                int k = Math.min(got.size(), sub.indexes.size());
                Usage u = response.usage();
                for (int j = 0; j < k; j++) {
                    // Attribute the call's usage so that summing stored samples gives the tokens spent:
                    // prompt tokens to the first sample, completion tokens split evenly.
                    long completion = u.completionTokens() / k + (j < u.completionTokens() % k ? 1 : 0);
                    Usage share = new Usage(j == 0 ? u.promptTokens() : 0, completion);
                    int idx = sub.indexes.get(j);
                    rows.add(StoredSample.success(CallKeys.sampleKey(canonical, idx), requestKey, idx, identity, got.get(j), share));
                }
                String shortfall = k < sub.indexes.size()
                        ? "the model returned " + got.size() + " of " + sub.indexes.size() + " samples" : null;
                if (shortfall != null) {
                    for (int j = k; j < sub.indexes.size(); j++) {
                        int idx = sub.indexes.get(j);
                        rows.add(StoredSample.failure(CallKeys.sampleKey(canonical, idx), requestKey, idx, identity, shortfall));
                    }
                }
                apply = () -> {
                    for (int j = 0; j < k; j++) {
                        completions[sub.indexes.get(j)] = rows.get(j).completion();
                        usages[sub.indexes.get(j)] = rows.get(j).usage();
                    }
                    if (shortfall != null) failure = shortfall;
                };
            } else {
                String reason = error.getMessage() == null ? error.toString() : error.getMessage();
                // An interrupted call (shutdown) is not a failure of the model: do not record it.
                if (!interrupted(error)) {
                    for (int idx : sub.indexes) rows.add(StoredSample.failure(CallKeys.sampleKey(canonical, idx), requestKey, idx, identity, reason));
                }
                apply = () -> failure = reason;
            }
            return store.putAllAsync(rows).handle((v, ex) -> {
                if (ex != null) {
                    Throwable c = ex instanceof java.util.concurrent.CompletionException && ex.getCause() != null ? ex.getCause() : ex;
                    failure = "cannot store the result in " + store.file() + ": " + c.getMessage();
                } else {
                    apply.run();
                }
                return pendingSubs.decrementAndGet() == 0;
            });
        }

        ModelResponse response() {
            if (failure != null) throw new ModelException(failure, false);
            Usage total = Usage.ZERO;
            for (Usage u : usages) total = total.plus(u);
            return new ModelResponse(List.of(completions), total);
        }
    }

    private static boolean interrupted(Throwable t) {
        for (; t != null; t = t.getCause()) if (t instanceof InterruptedException) return true;
        return Thread.currentThread().isInterrupted();
    }

    @Override
    public ModelResponse complete(ModelRequest request) {
        String canonical = CallKeys.canonical(identity, request);
        String requestKey = CallKeys.sha256(canonical);
        while (true) {
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> other = inFlight.putIfAbsent(requestKey, mine);
            if (other == null) {
                try {
                    return run(new Plan(request, canonical));
                } finally {
                    inFlight.remove(requestKey, mine);
                    mine.complete(null);
                }
            }
            other.join(); // someone else is computing this very request; then it is in the store
        }
    }

    private ModelResponse run(Plan plan) {
        if (plan.ready()) return plan.response();
        if (plan.subs.size() == 1) {
            SubCall sub = plan.subs.getFirst();
            ModelResponse r;
            try {
                r = inner.complete(sub.request);
            } catch (Throwable e) { // any failure is recorded with its cause, Errors included
                plan.accept(sub, null, ModelException.of(e));
                return plan.response();
            }
            plan.accept(sub, r, null);
        } else {
            List<ModelRequest> reqs = plan.subs.stream().map(SubCall::request).toList();
            inner.completeAll(reqs, reqs.size(), (i, r, e) -> plan.accept(plan.subs.get(i), r, e));
        }
        return plan.response();
    }

    /**
     * Serves stored samples at once and hands every missing sample of every request to the inner
     * model's own {@code completeAll} (so a batching backend still batches), storing each result
     * before reporting its request.
     */
    @Override
    public void completeAll(List<ModelRequest> requests, int concurrency, ResultSink sink) {
        Map<String, Plan> plans = new HashMap<>();
        Map<String, List<Integer>> followers = new HashMap<>();
        Map<String, CompletableFuture<Void>> owned = new HashMap<>();
        List<Integer> deferred = new ArrayList<>();
        List<Plan> subOwners = new ArrayList<>();
        List<SubCall> subs = new ArrayList<>();
        try {
            for (int i = 0; i < requests.size(); i++) {
                ModelRequest r = requests.get(i);
                String canonical = CallKeys.canonical(identity, r);
                String key = CallKeys.sha256(canonical);
                List<Integer> f = followers.get(key);
                if (f != null) { // the same request earlier in this batch: answer both from one computation
                    f.add(i);
                    continue;
                }
                CompletableFuture<Void> mine = new CompletableFuture<>();
                if (inFlight.putIfAbsent(key, mine) != null) { // another thread computes it now
                    deferred.add(i);
                    continue;
                }
                owned.put(key, mine);
                Plan plan;
                try {
                    plan = new Plan(r, canonical);
                } catch (StoreException e) {
                    sink.accept(i, null, new ModelException(e.getMessage(), false, e));
                    release(owned, key);
                    continue;
                }
                List<Integer> group = new ArrayList<>(List.of(i));
                followers.put(key, group);
                plans.put(key, plan);
                for (SubCall s : plan.subs) {
                    subOwners.add(plan);
                    subs.add(s);
                }
            }
            // Fully stored (or failed-before) requests are answered right away.
            for (var e : plans.entrySet()) {
                if (e.getValue().ready()) {
                    deliver(e.getValue(), followers.get(e.getKey()), sink);
                    release(owned, e.getKey());
                }
            }
            if (!subs.isEmpty()) {
                // Results go to the store asynchronously so that a model slot is not held during
                // the commit (group commits then grow with the load); a request is reported only
                // after its rows are durable.
                List<ModelRequest> reqs = subs.stream().map(SubCall::request).toList();
                List<CompletableFuture<Void>> pending = java.util.Collections.synchronizedList(new ArrayList<>());
                try (var delivery = Executors.newVirtualThreadPerTaskExecutor()) {
                    inner.completeAll(reqs, concurrency, (i, r, e) -> {
                        Plan plan = subOwners.get(i);
                        pending.add(plan.acceptAsync(subs.get(i), r, e).thenAcceptAsync(last -> {
                            if (last) {
                                try {
                                    deliver(plan, followers.get(plan.requestKey), sink);
                                } finally {
                                    release(owned, plan.requestKey);
                                }
                            }
                        }, delivery));
                    });
                    Throwable first = null;
                    for (CompletableFuture<Void> f : List.copyOf(pending)) {
                        try {
                            f.join();
                        } catch (java.util.concurrent.CompletionException ex) {
                            if (first == null) first = ex.getCause() == null ? ex : ex.getCause();
                        }
                    }
                    if (first instanceof RuntimeException re) throw re;
                    if (first instanceof Error err) throw err;
                    if (first != null) throw new IllegalStateException(first);
                }
            }
            for (int i : deferred) {
                try {
                    sink.accept(i, complete(requests.get(i)), null);
                } catch (Throwable e) {
                    sink.accept(i, null, ModelException.of(e));
                }
            }
        } finally {
            for (String key : List.copyOf(owned.keySet())) release(owned, key);
        }
    }

    private void release(Map<String, CompletableFuture<Void>> owned, String key) {
        CompletableFuture<Void> f;
        synchronized (owned) {
            f = owned.remove(key);
        }
        if (f != null) {
            inFlight.remove(key, f);
            f.complete(null);
        }
    }

    private static void deliver(Plan plan, List<Integer> indexes, ResultSink sink) {
        ModelResponse r;
        try {
            r = plan.response();
        } catch (ModelException e) {
            for (int i : indexes) sink.accept(i, null, e);
            return;
        }
        for (int i : indexes) sink.accept(i, r, null);
    }
}
