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
                         List<DpoRow> dpo, List<Fairseq2Dpo> dpoFairseq2, AnnotateStats stats) {}

    private final AnnotateSettings s;
    private final LanguageModel judge;
    private final JudgePrompts prompt;
    private final ParseRule verdictRule;
    private final int round;
    private final int concurrency;
    private final ProgressFactory progress;

    public AnnotateStage(AnnotateSettings settings, LanguageModel judge, int round, int concurrency, ProgressFactory progress) {
        this.s = settings;
        this.judge = judge;
        this.prompt = JudgePrompts.named(settings.template());
        this.verdictRule = ParseRule.named(settings.verdictRule());
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

    /**
     * The stage on a list of pairs, in the method's order: show each pair in its order(s), sample
     * N judgments each, keep one correct judgment per pair-order, balance A-gold against B-gold,
     * then write out every judgment and the training sets.
     */
    public Result run(List<Pair> pairs) {
        List<Unit> units = showPairs(pairs);
        ModelCalls.Answer[] answers = sampleJudgments(units);
        Tally tally = new Tally(units.size());
        List<Sampled> sampled = new ArrayList<>();
        for (int u = 0; u < units.size(); u++) sampled.add(rejectionSample(units.get(u), answers[u], tally));
        List<Integer> kept = balanceGoldSides(sampled, tally);

        ChatFormat format = ChatFormat.named(s.chatFormat());
        List<SftRow> sft = new ArrayList<>();
        List<Fairseq2Sft> f2 = new ArrayList<>();
        for (int u : kept) addSftRow(sampled.get(u), format, sft, f2);

        List<DpoRow> dpo = new ArrayList<>();
        List<Fairseq2Dpo> dpoF2 = new ArrayList<>();
        AnnotateStats.Dpo dpoStats = s.dpo() ? buildDpo(sampled, format, dpo, dpoF2) : null;
        return new Result(everyJudgment(sampled, new java.util.HashSet<>(kept)), sft, f2, dpo, dpoF2,
                new AnnotateStats(round, judge.identity(), s.verdictRule(), tally.samples(), tally.pairOrders(), dpoStats));
    }

    /** One judge prompt per pair and order shown (both orders, one seeded order, or a fixed one). */
    private List<Unit> showPairs(List<Pair> pairs) {
        List<Unit> units = new ArrayList<>();
        for (Pair p : pairs) {
            for (String o : ordersFor(p)) {
                String a = o.equals("AB") ? p.chosen() : p.rejected();
                String b = o.equals("AB") ? p.rejected() : p.chosen();
                units.add(new Unit(p, o, prompt.render(List.of(ChatMessage.user(p.instruction())), a, b)));
            }
        }
        return units;
    }

    /** N sampled judgments per unit (spec §2.4: 15 at temperature 0.7), each unit with its own seed. */
    private ModelCalls.Answer[] sampleJudgments(List<Unit> units) {
        List<ModelRequest> reqs = new ArrayList<>();
        for (Unit u : units) {
            SamplingParams sp = SamplingParams.sample(s.temperature(), s.topP(), s.maxTokens(), s.samples(),
                    PipelineIo.derivedSeed(s.seed(), "judge", round, u.pair().id(), u.order()));
            reqs.add(ModelRequest.chat(u.prompt(), sp));
        }
        return ModelCalls.run("annotate round " + round, judge, reqs, concurrency, progress);
    }

    /** The counts of stats.json while they are gathered: per sampled judgment and per pair-order. */
    private static final class Tally {
        final int total;
        long samples, noVerdict, tie, wrong, correct;
        long modelError, noCorrect, belowMajority;
        long candidatesA, candidatesB, keptA, kept;

        Tally(int total) { this.total = total; }

        void sample(String verdictClass) {
            samples++;
            switch (verdictClass) {
                case "correct" -> correct++;
                case "no_verdict" -> noVerdict++;
                case "tie" -> tie++;
                default -> wrong++;
            }
        }

        void drop(String reason) {
            switch (reason) {
                case "model_error" -> modelError++;
                case "no_correct" -> noCorrect++;
                default -> belowMajority++;
            }
        }

        AnnotateStats.Samples samples() { return new AnnotateStats.Samples(samples, noVerdict, tie, wrong, correct); }

        AnnotateStats.PairOrders pairOrders() {
            return new AnnotateStats.PairOrders(total, modelError, noCorrect, belowMajority, candidatesA, candidatesB,
                    candidatesA + candidatesB - kept, keptA, kept - keptA, kept);
        }
    }

    /**
     * One unit after rejection sampling: its samples and their verdicts, the index of the kept
     * correct sample (-1: none) and why the unit is not in the training set (null: it is).
     */
    private record Sampled(Unit unit, List<String> texts, List<String> verdicts, int picked, String drop) {
        Sampled dropped(String reason) { return new Sampled(unit, texts, verdicts, picked, reason); }
        boolean candidate() { return drop == null; }
    }

    /** How a verdict compares with the gold label: correct, wrong, tie or no_verdict. */
    private static String verdictClass(String verdict, String gold) {
        return verdict.equals(gold) ? "correct" : verdict.equals("none") ? "no_verdict" : verdict.equals("tie") ? "tie" : "wrong";
    }

    /**
     * Rejection sampling of one unit (spec §2.4 steps 3-4): parse every sample's verdict; no correct
     * sample (or fewer than the majority threshold) drops the unit; otherwise one correct sample is
     * picked at random with the unit's own seed.
     */
    private Sampled rejectionSample(Unit unit, ModelCalls.Answer answer, Tally tally) {
        if (!answer.ok()) {
            tally.drop("model_error");
            return new Sampled(unit, List.of(), List.of(), -1, "model_error");
        }
        List<String> texts = answer.response().texts();
        List<String> verdicts = new ArrayList<>();
        String gold = unit.gold();
        int correct = 0;
        for (String t : texts) {
            String v = verdictRule.parse(t).jsonName();
            verdicts.add(v);
            tally.sample(verdictClass(v, gold));
            if (v.equals(gold)) correct++;
        }
        String drop = correct == 0 ? "no_correct"
                : s.majority() > 0 && correct < s.majority() * texts.size() ? "below_majority" : null;
        if (drop != null) {
            tally.drop(drop);
            return new Sampled(unit, texts, verdicts, -1, drop);
        }
        List<Integer> idx = new ArrayList<>();
        for (int k = 0; k < texts.size(); k++) idx.add(k);
        Collections.shuffle(idx, new Random(PipelineIo.derivedSeed(s.seed(), "reject", round, unit.pair().id(), unit.order())));
        int picked = idx.stream().filter(k -> verdicts.get(k).equals(gold)).findFirst().orElseThrow();
        return new Sampled(unit, texts, verdicts, picked, null);
    }

    /**
     * Balancing (spec §2.4 step 5): the candidates with gold A and with gold B are shuffled, the
     * larger group cut to the smaller one's size, and the rest merged and shuffled; the units cut
     * are marked {@code balanced_out}. Returns the kept units' indices in training order.
     */
    private List<Integer> balanceGoldSides(List<Sampled> sampled, Tally tally) {
        List<Integer> candA = new ArrayList<>(), candB = new ArrayList<>();
        for (int u = 0; u < sampled.size(); u++) {
            if (sampled.get(u).candidate()) (sampled.get(u).unit().gold().equals("A") ? candA : candB).add(u);
        }
        tally.candidatesA = candA.size();
        tally.candidatesB = candB.size();
        List<Integer> kept = balance(candA, candB, new Random(PipelineIo.derivedSeed(s.seed(), "balance", round)), s.balance());
        java.util.Set<Integer> keptSet = new java.util.HashSet<>(kept);
        for (List<Integer> group : List.of(candA, candB)) {
            for (int u : group) if (!keptSet.contains(u)) sampled.set(u, sampled.get(u).dropped("balanced_out"));
        }
        tally.keptA = kept.stream().filter(u -> sampled.get(u).unit().gold().equals("A")).count();
        tally.kept = kept.size();
        return kept;
    }

    /** Every sampled judgment (annotations.jsonl), in pair/order/sample order, with why it was not kept. */
    private static List<Judgment> everyJudgment(List<Sampled> sampled, java.util.Set<Integer> kept) {
        List<Judgment> out = new ArrayList<>();
        for (int u = 0; u < sampled.size(); u++) {
            Sampled x = sampled.get(u);
            String gold = x.unit().gold();
            for (int k = 0; k < x.texts().size(); k++) {
                String v = x.verdicts().get(k);
                boolean correct = v.equals(gold);
                boolean isKept = k == x.picked() && kept.contains(u);
                String reason = isKept ? null
                        : !correct ? verdictClass(v, gold)
                        : k == x.picked() ? x.drop()            // picked, then dropped by balancing
                        : x.picked() >= 0 ? "not_picked"        // another correct sample was picked
                        : x.drop();                             // below_majority: nothing picked
                out.add(new Judgment(x.unit().pair().id(), x.unit().order(), k, x.texts().get(k), v, correct, isKept, reason));
            }
        }
        return out;
    }

    /** The kept judgment as an SFT row: the judge prompt, then the judgment as the assistant's turn. */
    private static void addSftRow(Sampled x, ChatFormat format, List<SftRow> sft, List<Fairseq2Sft> f2) {
        String target = x.texts().get(x.picked());
        List<Message> msgs = new ArrayList<>(messages(x.unit().prompt()));
        msgs.add(new Message("assistant", target));
        sft.add(new SftRow(List.copyOf(msgs)));
        String src = format.render(x.unit().prompt());
        f2.add(new Fairseq2Sft(ChatFormat.uuid5(src + target), src, target));
    }

    private static List<Message> messages(List<ChatMessage> prompt) {
        List<Message> out = new ArrayList<>();
        for (ChatMessage m : prompt) out.add(new Message(m.role(), m.content()));
        return out;
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
    private AnnotateStats.Dpo buildDpo(List<Sampled> sampled, ChatFormat format, List<DpoRow> out, List<Fairseq2Dpo> outF2) {
        ParseRule rule = ParseRule.named(s.dpoRule());
        long noPositive = 0, noNegative = 0;
        List<Integer> candA = new ArrayList<>(), candB = new ArrayList<>();
        List<List<String>> pos = new ArrayList<>(), neg = new ArrayList<>();
        for (int u = 0; u < sampled.size(); u++) {
            Unit unit = sampled.get(u).unit();
            List<String> p = new ArrayList<>(), n = new ArrayList<>();
            for (String t : sampled.get(u).texts()) (rule.parse(t).jsonName().equals(unit.gold()) ? p : n).add(t);
            pos.add(p);
            neg.add(n);
            if (sampled.get(u).texts().isEmpty()) continue;
            if (p.isEmpty()) { noPositive++; continue; }
            if (n.isEmpty()) { noNegative++; continue; }
            (unit.gold().equals("A") ? candA : candB).add(u);
        }
        List<Integer> kept = balance(candA, candB, new Random(PipelineIo.derivedSeed(s.seed(), "dpo-balance", round)), s.balance());
        for (int u : kept) {
            Unit unit = sampled.get(u).unit();
            List<String[]> combos = new ArrayList<>();
            for (String p : pos.get(u)) for (String n : neg.get(u)) combos.add(new String[] {p, n});
            Collections.shuffle(combos, new Random(PipelineIo.derivedSeed(s.seed(), "dpo-combos", round,
                    unit.pair().id(), unit.order())));
            List<Message> promptMsgs = messages(unit.prompt());
            String src = format.render(unit.prompt());
            for (String[] c : combos.subList(0, Math.min(s.dpoPairs(), combos.size()))) {
                out.add(new DpoRow(List.copyOf(promptMsgs), List.of(new Message("assistant", c[0])),
                        List.of(new Message("assistant", c[1]))));
                outF2.add(new Fairseq2Dpo(ChatFormat.uuid5(src + c[0] + c[1]), src, c[0], c[1]));
            }
        }
        return new AnnotateStats.Dpo(noPositive, noNegative, candA.size(), candB.size(),
                candA.size() + candB.size() - kept.size(), out.size());
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

    /** Runs the stage into {@code dir} (RUN/round-i), skipped when its done marker (in round-i/annotate) matches. */
    public AnnotateStats runInto(Path dir, Path pairsFile, boolean force) {
        return Stage.run(new InDir(dir, pairsFile), force);
    }

    /** This stage bound to a round directory; its marker lives in round-i/annotate, its files in round-i. */
    private final class InDir implements Stage<AnnotateStats> {
        private final Path dir;
        private final Path pairsFile;

        InDir(Path dir, Path pairsFile) {
            this.dir = dir;
            this.pairsFile = pairsFile;
        }

        @Override public String name() { return "annotate"; }
        @Override public Path markerDir() { return dir.resolve("annotate"); }
        @Override public Map<String, String> inputs() { return AnnotateStage.this.inputs(pairsFile); }

        @Override
        public List<String> outputs() {
            List<String> outs = new ArrayList<>(List.of("../" + ANNOTATIONS, "../" + SFT, "../" + SFT_FAIRSEQ2, "../" + STATS));
            if (s.dpo()) {
                outs.add("../" + DPO);
                outs.add("../" + DPO_FAIRSEQ2);
            }
            return outs;
        }

        @Override
        public AnnotateStats compute() {
            Result r = run(PipelineIo.readJsonl(pairsFile, Pair.class));
            PipelineIo.writeJsonl(dir.resolve(ANNOTATIONS), r.annotations());
            PipelineIo.writeJsonl(dir.resolve(SFT), r.sft());
            PipelineIo.writeJsonl(dir.resolve(SFT_FAIRSEQ2), r.sftFairseq2());
            if (s.dpo()) {
                PipelineIo.writeJsonl(dir.resolve(DPO), r.dpo());
                PipelineIo.writeJsonl(dir.resolve(DPO_FAIRSEQ2), r.dpoFairseq2());
            }
            PipelineIo.writeJson(dir.resolve(STATS), r.stats().toJson());
            return r.stats();
        }

        @Override
        public AnnotateStats read() {
            Path f = dir.resolve(STATS);
            try {
                return AnnotateStats.fromJson(PipelineIo.JSON.convertValue(PipelineIo.readJson(f), Map.class));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(f + ": " + e.getMessage() + "; run the stage again with --force to recompute it", e);
            }
        }
    }
}
