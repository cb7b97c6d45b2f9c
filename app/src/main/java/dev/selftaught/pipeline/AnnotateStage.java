package dev.selftaught.pipeline;

import dev.selftaught.eval.JudgePrompts;
import dev.selftaught.eval.ParseRule;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.pipeline.Records.DpoRow;
import dev.selftaught.pipeline.Records.Fairseq2Dpo;
import dev.selftaught.pipeline.Records.Fairseq2Sft;
import dev.selftaught.pipeline.Records.Judgment;
import dev.selftaught.pipeline.Records.Message;
import dev.selftaught.pipeline.Records.Pair;
import dev.selftaught.pipeline.Records.SftRow;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Stage 3, once per round: judge every fixed pair with the current judge (N samples per pair-order),
 * keep one random correct judgment per pair-order (rejection sampling, spec §2.4), optionally
 * filter by majority, balance the A-gold and B-gold groups, and write the annotations, the SFT
 * sets (TRL and fairseq2) and optionally the DPO sets (spec §2.7).
 */
public final class AnnotateStage {
    public static final String ANNOTATIONS = "annotations.jsonl";
    public static final String SFT = "sft.jsonl";
    public static final String SFT_FAIRSEQ2 = "sft_fairseq2.jsonl";
    public static final String DPO = "dpo.jsonl";
    public static final String DPO_FAIRSEQ2 = "dpo_fairseq2.jsonl";
    public static final String STATS = "stats.json";

    /** One pair shown in one order: the unit of rejection sampling and balancing. */
    record Unit(Pair pair, String order, List<ChatMessage> prompt) {
        String gold() { return order.equals("AB") ? "A" : "B"; }
    }

    public record Result(List<Judgment> annotations, List<SftRow> sft, List<Fairseq2Sft> sftFairseq2,
                         List<DpoRow> dpo, List<Fairseq2Dpo> dpoFairseq2, Map<String, Object> stats) {}

    private final AnnotateSettings s;
    private final LanguageModel judge;
    private final JudgePrompts prompt;
    private final int round;
    private final int concurrency;
    private final ProgressFactory progress;

    public AnnotateStage(AnnotateSettings settings, LanguageModel judge, int round, int concurrency, ProgressFactory progress) {
        this.s = settings;
        this.judge = judge;
        this.prompt = JudgePrompts.named(settings.template());
        this.round = round;
        this.concurrency = concurrency;
        this.progress = progress;
    }

    /** The same, with plain progress lines on {@code progress} (null: none). */
    public AnnotateStage(AnnotateSettings settings, LanguageModel judge, int round, int concurrency, java.io.PrintStream progress) {
        this(settings, judge, round, concurrency, ProgressFactory.lines(progress));
    }

    /** Orders shown for a pair: both, one seeded random order, or the fixed one. */
    List<String> ordersFor(Pair p) {
        return switch (s.order()) {
            case "both" -> List.of("AB", "BA");
            case "random" -> List.of(new Random(PipelineIo.derivedSeed(s.seed(), "order", p.id())).nextBoolean() ? "AB" : "BA");
            default -> List.of(s.fixedOrder());
        };
    }

    public Result run(List<Pair> pairs) {
        List<Unit> units = new ArrayList<>();
        for (Pair p : pairs) {
            for (String o : ordersFor(p)) {
                String a = o.equals("AB") ? p.chosen() : p.rejected();
                String b = o.equals("AB") ? p.rejected() : p.chosen();
                units.add(new Unit(p, o, prompt.render(List.of(ChatMessage.user(p.instruction())), a, b)));
            }
        }
        List<ModelRequest> reqs = new ArrayList<>();
        for (Unit u : units) {
            SamplingParams sp = SamplingParams.sample(s.temperature(), s.topP(), s.maxTokens(), s.samples(),
                    PipelineIo.derivedSeed(s.seed(), "judge", round, u.pair().id(), u.order()));
            reqs.add(ModelRequest.chat(u.prompt(), sp));
        }
        ModelCalls.Answer[] answers = ModelCalls.run("annotate round " + round, judge, reqs, concurrency, progress);

        ParseRule rule = ParseRule.named(s.verdictRule());
        Map<String, Long> sampleStats = Records.counts("total", "no_verdict", "tie", "wrong", "correct");
        Map<String, Long> unitStats = Records.counts("total", "model_error", "no_correct", "below_majority",
                "candidates_A", "candidates_B", "dropped_by_balancing", "kept_A", "kept_B", "kept");
        unitStats.put("total", (long) units.size());

        // Rejection sampling per unit.
        String[][] texts = new String[units.size()][];
        String[][] verdicts = new String[units.size()][];
        int[] picked = new int[units.size()];
        String[] unitDrop = new String[units.size()];
        List<Integer> candA = new ArrayList<>(), candB = new ArrayList<>();
        for (int u = 0; u < units.size(); u++) {
            picked[u] = -1;
            if (!answers[u].ok()) {
                unitDrop[u] = "model_error";
                unitStats.merge("model_error", 1L, Long::sum);
                texts[u] = new String[0];
                verdicts[u] = new String[0];
                continue;
            }
            List<String> t = answers[u].response().texts();
            texts[u] = t.toArray(String[]::new);
            verdicts[u] = new String[t.size()];
            int correct = 0;
            String gold = units.get(u).gold();
            for (int k = 0; k < t.size(); k++) {
                verdicts[u][k] = rule.parse(t.get(k)).jsonName();
                sampleStats.merge("total", 1L, Long::sum);
                String v = verdicts[u][k];
                String cls = v.equals(gold) ? "correct" : v.equals("none") ? "no_verdict" : v.equals("tie") ? "tie" : "wrong";
                sampleStats.merge(cls, 1L, Long::sum);
                if (v.equals(gold)) correct++;
            }
            if (correct == 0) {
                unitDrop[u] = "no_correct";
                unitStats.merge("no_correct", 1L, Long::sum);
                continue;
            }
            if (s.majority() > 0 && correct < s.majority() * t.size()) {
                unitDrop[u] = "below_majority";
                unitStats.merge("below_majority", 1L, Long::sum);
                continue;
            }
            // Shuffle the sample indices with a seed, take the first correct one (spec §2.4 step 4).
            List<Integer> idx = new ArrayList<>();
            for (int k = 0; k < t.size(); k++) idx.add(k);
            Collections.shuffle(idx, new Random(PipelineIo.derivedSeed(s.seed(), "reject", round, units.get(u).pair().id(),
                    units.get(u).order())));
            for (int k : idx) {
                if (verdicts[u][k].equals(gold)) { picked[u] = k; break; }
            }
            (gold.equals("A") ? candA : candB).add(u);
        }
        unitStats.put("candidates_A", (long) candA.size());
        unitStats.put("candidates_B", (long) candB.size());

        // Balancing (spec §2.4 step 5): shuffle each group, truncate the larger, merge, shuffle.
        List<Integer> keptUnits = balance(candA, candB, new Random(PipelineIo.derivedSeed(s.seed(), "balance", round)), s.balance());
        java.util.Set<Integer> keptSet = new java.util.HashSet<>(keptUnits);
        for (int u : candA) if (!keptSet.contains(u)) unitDrop[u] = "balanced_out";
        for (int u : candB) if (!keptSet.contains(u)) unitDrop[u] = "balanced_out";
        long keptA = keptUnits.stream().filter(u -> units.get(u).gold().equals("A")).count();
        unitStats.put("kept_A", keptA);
        unitStats.put("kept_B", keptUnits.size() - keptA);
        unitStats.put("kept", (long) keptUnits.size());
        unitStats.put("dropped_by_balancing", (long) (candA.size() + candB.size() - keptUnits.size()));

        // Every sampled judgment, in pair/order/sample order.
        List<Judgment> annotations = new ArrayList<>();
        for (int u = 0; u < units.size(); u++) {
            String gold = units.get(u).gold();
            for (int k = 0; k < texts[u].length; k++) {
                String v = verdicts[u][k];
                boolean correct = v.equals(gold);
                boolean kept = k == picked[u] && keptSet.contains(u);
                String reason = kept ? null
                        : !correct ? (v.equals("none") ? "no_verdict" : v.equals("tie") ? "tie" : "wrong")
                        : k == picked[u] ? unitDrop[u]          // picked, then dropped by balancing
                        : picked[u] >= 0 ? "not_picked"         // another correct sample was picked
                        : unitDrop[u];                          // below_majority: nothing picked
                annotations.add(new Judgment(units.get(u).pair().id(), units.get(u).order(), k, texts[u][k], v, correct,
                        kept, reason));
            }
        }

        ChatFormat format = ChatFormat.named(s.chatFormat());
        List<SftRow> sft = new ArrayList<>();
        List<Fairseq2Sft> f2 = new ArrayList<>();
        for (int u : keptUnits) {
            String target = texts[u][picked[u]];
            List<Message> msgs = new ArrayList<>();
            for (ChatMessage m : units.get(u).prompt()) msgs.add(new Message(m.role(), m.content()));
            msgs.add(new Message("assistant", target));
            sft.add(new SftRow(List.copyOf(msgs)));
            String src = format.render(units.get(u).prompt());
            f2.add(new Fairseq2Sft(ChatFormat.uuid5(src + target), src, target));
        }

        List<DpoRow> dpo = new ArrayList<>();
        List<Fairseq2Dpo> dpoF2 = new ArrayList<>();
        Map<String, Long> dpoStats = null;
        if (s.dpo()) dpoStats = buildDpo(units, texts, format, dpo, dpoF2);

        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("round", round);
        stats.put("judge", judge.identity());
        stats.put("verdict_rule", s.verdictRule());
        stats.put("samples", sampleStats);
        stats.put("pair_orders", unitStats);
        if (dpoStats != null) stats.put("dpo", dpoStats);
        return new Result(annotations, sft, f2, dpo, dpoF2, stats);
    }

    /** Truncates the larger group to the smaller one's size after seeded shuffles; merged and shuffled. */
    static List<Integer> balance(List<Integer> a, List<Integer> b, Random rnd, boolean on) {
        List<Integer> sa = new ArrayList<>(a), sb = new ArrayList<>(b);
        Collections.shuffle(sa, rnd);
        Collections.shuffle(sb, rnd);
        if (on) {
            int n = Math.min(sa.size(), sb.size());
            sa = sa.subList(0, n);
            sb = sb.subList(0, n);
        }
        List<Integer> all = new ArrayList<>(sa);
        all.addAll(sb);
        Collections.shuffle(all, rnd);
        return all;
    }

    /** DPO pairs (spec §2.7): positives = correct by the DPO rule; negatives = none, tie or wrong. */
    private Map<String, Long> buildDpo(List<Unit> units, String[][] texts, ChatFormat format,
                                       List<DpoRow> out, List<Fairseq2Dpo> outF2) {
        ParseRule rule = ParseRule.named(s.dpoRule());
        Map<String, Long> st = Records.counts("no_positive", "no_negative", "candidates_A", "candidates_B",
                "dropped_by_balancing", "pairs");
        List<Integer> candA = new ArrayList<>(), candB = new ArrayList<>();
        List<List<String>> pos = new ArrayList<>(), neg = new ArrayList<>();
        for (int u = 0; u < units.size(); u++) {
            List<String> p = new ArrayList<>(), n = new ArrayList<>();
            for (String t : texts[u]) (rule.parse(t).jsonName().equals(units.get(u).gold()) ? p : n).add(t);
            pos.add(p);
            neg.add(n);
            if (texts[u].length == 0) continue;
            if (p.isEmpty()) { st.merge("no_positive", 1L, Long::sum); continue; }
            if (n.isEmpty()) { st.merge("no_negative", 1L, Long::sum); continue; }
            (units.get(u).gold().equals("A") ? candA : candB).add(u);
        }
        st.put("candidates_A", (long) candA.size());
        st.put("candidates_B", (long) candB.size());
        List<Integer> kept = balance(candA, candB, new Random(PipelineIo.derivedSeed(s.seed(), "dpo-balance", round)), s.balance());
        st.put("dropped_by_balancing", (long) (candA.size() + candB.size() - kept.size()));
        for (int u : kept) {
            List<String[]> combos = new ArrayList<>();
            for (String p : pos.get(u)) for (String n : neg.get(u)) combos.add(new String[] {p, n});
            Collections.shuffle(combos, new Random(PipelineIo.derivedSeed(s.seed(), "dpo-combos", round,
                    units.get(u).pair().id(), units.get(u).order())));
            List<Message> promptMsgs = new ArrayList<>();
            for (ChatMessage m : units.get(u).prompt()) promptMsgs.add(new Message(m.role(), m.content()));
            String src = format.render(units.get(u).prompt());
            for (String[] c : combos.subList(0, Math.min(s.dpoPairs(), combos.size()))) {
                out.add(new DpoRow(List.copyOf(promptMsgs), List.of(new Message("assistant", c[0])),
                        List.of(new Message("assistant", c[1]))));
                outF2.add(new Fairseq2Dpo(ChatFormat.uuid5(src + c[0] + c[1]), src, c[0], c[1]));
            }
        }
        st.put("pairs", (long) out.size());
        return st;
    }

    /** Inputs that determine this stage's result (for the done marker). */
    public Map<String, String> inputs(Path pairsFile) {
        Map<String, String> in = new LinkedHashMap<>();
        in.put("pairs", PipelineIo.sha256(pairsFile));
        in.put("settings", PipelineIo.hashOf(s));
        in.put("judge_prompt", PipelineIo.hashOf(List.of(String.valueOf(prompt.single().system()), prompt.single().user())));
        in.put("judge", judge.identity());
        in.put("round", Integer.toString(round));
        return in;
    }

    /** Runs the stage into {@code dir} (RUN/round-i), honouring and writing the done marker. */
    public Map<String, Object> runInto(Path dir, Path pairsFile, boolean force) {
        Map<String, String> inputs = inputs(pairsFile);
        Path markerDir = dir.resolve("annotate");
        if (StageMarker.check(markerDir, "annotate", inputs, force) == StageMarker.Decision.SKIP) {
            return PipelineIo.JSON.convertValue(PipelineIo.readJson(dir.resolve(STATS)), Map.class);
        }
        StageMarker.clear(markerDir);
        Result r = run(PipelineIo.readJsonl(pairsFile, Pair.class));
        PipelineIo.writeJsonl(dir.resolve(ANNOTATIONS), r.annotations());
        PipelineIo.writeJsonl(dir.resolve(SFT), r.sft());
        PipelineIo.writeJsonl(dir.resolve(SFT_FAIRSEQ2), r.sftFairseq2());
        List<String> outs = new ArrayList<>(List.of("../" + ANNOTATIONS, "../" + SFT, "../" + SFT_FAIRSEQ2, "../" + STATS));
        if (s.dpo()) {
            PipelineIo.writeJsonl(dir.resolve(DPO), r.dpo());
            PipelineIo.writeJsonl(dir.resolve(DPO_FAIRSEQ2), r.dpoFairseq2());
            outs.add("../" + DPO);
            outs.add("../" + DPO_FAIRSEQ2);
        }
        PipelineIo.writeJson(dir.resolve(STATS), r.stats());
        StageMarker.markDone(markerDir, "annotate", inputs, outs);
        return r.stats();
    }
}
