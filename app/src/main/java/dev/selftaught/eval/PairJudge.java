package dev.selftaught.eval;

import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.SamplingParams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Uses a judge on unlabelled pairs: which of two responses is better, with the reasoning and the
 * vote counts. Same prompts, parse rule, sampling and voting as {@link Evaluator}; responses are
 * shown in the order given (A, then B).
 */
public final class PairJudge {

    private PairJudge() {}

    /** A pair to judge. {@code context} ends with the user turn both responses answer. */
    public record Input(String id, List<ChatMessage> context, String responseA, String responseB) {
        public Input {
            Objects.requireNonNull(id, "id");
            context = List.copyOf(context);
            Objects.requireNonNull(responseA, "responseA");
            Objects.requireNonNull(responseB, "responseB");
        }
    }

    /**
     * The judge's decision on one pair.
     *
     * @param verdict   A, B, or NONE/TIE when the judge did not decide
     * @param reasoning the text of the first sample that agrees with the verdict (the first sample when none does)
     * @param votes     vote counts over the samples
     * @param samples   every raw judgment text
     * @param verdicts  the parsed verdict of each sample
     */
    public record Output(String id, Verdict verdict, String reasoning, Map<Verdict, Integer> votes,
                         List<String> samples, List<Verdict> verdicts) {}

    public static List<Output> judge(LanguageModel model, List<Input> inputs, EvalOptions o) {
        List<ModelRequest> requests = new ArrayList<>(inputs.size());
        for (Input in : inputs) {
            List<ChatMessage> messages = o.prompts().render(in.context(), in.responseA(), in.responseB());
            SamplingParams p = o.sampled()
                    ? SamplingParams.sample(o.temperature(), o.topP(), o.maxTokens(), o.samples(),
                            Evaluator.sampleSeed(o.seed(), in.id(), true))
                    : SamplingParams.greedy(o.maxTokens());
            requests.add(ModelRequest.chat(messages, p));
        }
        List<ModelResponse> responses = JudgeCalls.run(model, requests, o.concurrency(), o.progress());
        List<Output> out = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            List<String> texts = responses.get(i).texts();
            List<Verdict> vs = texts.stream().map(o.parseRule()::parse).toList();
            MajorityVote.Result vote = MajorityVote.of(vs);
            int pick = vs.indexOf(vote.verdict());
            out.add(new Output(inputs.get(i).id(), vote.verdict(), texts.get(Math.max(0, pick)), vote.counts(), texts, vs));
        }
        return out;
    }
}
