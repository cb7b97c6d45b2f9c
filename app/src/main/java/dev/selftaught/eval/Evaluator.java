package dev.selftaught.eval;

import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.SamplingParams;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a judge over pairwise items and scores it the RewardBench way (spec §4.1).
 *
 * <p>Per item: the answers are placed in A/B by {@link EvalOptions#order()}; the pair-v2 prompt
 * (or the multi-turn one for items with several user turns) is rendered; the judge answers once
 * greedily, or k times by sampling followed by a {@link MajorityVote}; the verdict is parsed
 * with the configured rule and scored 1 / 0 / 0.5. Items with more than
 * {@link EvalOptions#maxTurns()} user turns are not judged and score 0.5, as in RewardBench.
 *
 * <p>All calls go through the given model in one {@link LanguageModel#completeAll} batch; wrap it
 * in the call store's {@code CachedModel} to make reruns free and a killed evaluation resumable.
 * If any call fails for good the evaluation throws after the batch (completed calls are kept by
 * the store), naming how many failed.
 */
public final class Evaluator {

    private Evaluator() {}

    /** One judge call to make: item index and order. */
    private record Call(int item, boolean chosenAsA) {}

    public static EvalResult evaluate(LanguageModel judge, List<PairwiseItem> items, EvalOptions options) {
        List<Call> calls = new ArrayList<>();
        List<ModelRequest> requests = new ArrayList<>();
        String[] skip = new String[items.size()];
        for (int i = 0; i < items.size(); i++) {
            PairwiseItem item = items.get(i);
            if (options.maxTurns() > 0 && item.turns() > options.maxTurns()) {
                skip[i] = "more than " + options.maxTurns() + " user turns";
                continue;
            }
            for (boolean chosenAsA : orders(item, options)) {
                calls.add(new Call(i, chosenAsA));
                requests.add(request(item, chosenAsA, options));
            }
        }
        List<ModelResponse> responses = JudgeCalls.run(judge, requests, options.concurrency(), options.progress());
        List<List<Judgment>> perItem = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) perItem.add(new ArrayList<>(2));
        for (int k = 0; k < calls.size(); k++) {
            Call c = calls.get(k);
            List<String> texts = responses.get(k).texts();
            perItem.get(c.item).add(Judgment.of(c.chosenAsA, texts, options.parseRule()));
        }
        List<ItemResult> results = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            if (skip[i] != null) {
                results.add(new ItemResult(items.get(i), List.of(), 0.5, skip[i]));
                continue;
            }
            List<Judgment> js = perItem.get(i);
            double score = js.stream().mapToDouble(Judgment::score).average().orElse(0.5);
            results.add(new ItemResult(items.get(i), js, score, null));
        }
        return EvalResult.of(results, options);
    }

    /** The orders in which an item is shown: chosen-as-A flags. */
    static List<Boolean> orders(PairwiseItem item, EvalOptions o) {
        return switch (o.order()) {
            case RANDOM -> List.of(Order.randomChosenAsA(o.seed(), item.id()));
            case BOTH -> List.of(true, false);
            case FIXED_A -> List.of(true);
            case FIXED_B -> List.of(false);
        };
    }

    /** The request for one item in one order: greedy, or k samples with a seed derived from (seed, id, order). */
    static ModelRequest request(PairwiseItem item, boolean chosenAsA, EvalOptions o) {
        List<ChatMessage> messages = o.prompts().render(item, chosenAsA);
        SamplingParams params = o.sampled()
                ? SamplingParams.sample(o.temperature(), o.topP(), o.maxTokens(), o.samples(),
                        sampleSeed(o.seed(), item.id(), chosenAsA))
                : SamplingParams.greedy(o.maxTokens());
        return ModelRequest.chat(messages, params);
    }

    static long sampleSeed(long seed, String id, boolean chosenAsA) {
        long z = seed ^ (id.hashCode() * 0x9E3779B97F4A7C15L) ^ (chosenAsA ? 0x5DEECE66DL : 0xB5297A4DL);
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return (z ^ (z >>> 33)) & 0x7FFFFFFFFFFFL;
    }
}
