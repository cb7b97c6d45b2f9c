package dev.selftaught.microworld;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures each link of the self-taught mechanism on real reasoned judgments
 * ({@code Check: C A: right. B: wrong.[ reason] [[V]]}), so a diagnosis rests on numbers anyone can
 * recompute:
 * <ol>
 *   <li>is the judge's own check a correct answer to the instruction (by the {@link Checker})?
 *       does it merely copy answer A's or B's text?</li>
 *   <li>do the marks follow from comparing the check with each answer (as the {@link WeakJudge} marks)?</li>
 *   <li>does the verdict follow the marks, or a length / position reason ("B is longer.", "A is first.")?</li>
 *   <li>is the verdict the labelled better answer, overall and given a right or a wrong check?</li>
 * </ol>
 * Comparing the kept chains of an annotation file with all its samples gives the enrichment that
 * rejection sampling achieves.
 */
public final class JudgmentAudit {

    private static final Pattern FORMAT = Pattern.compile(
            "^Check: (.*?) A: (right|wrong)\\. B: (right|wrong)\\.(.*?)\\[\\[([AB])]]\\s*$", Pattern.DOTALL);

    /** One sampled judgment of a labelled pair shown in one order. */
    public record Chain(String group, String instruction, String chosen, String rejected, boolean chosenFirst, String text,
                        boolean kept) {}

    /** What one chain did at each link; {@code parsed} false when the text is not in the reasoned format. */
    public record Links(boolean parsed, boolean checkRight, boolean checkCopies, boolean marksFollowCheck,
                        boolean marksDecide, boolean heuristic, boolean verdictFollowsMarks, boolean correct) {}

    /** Counts over a set of chains. */
    public record Tally(int chains, int parsed, int checkRight, int checkCopies, int marksFollowCheck, int marksDecide,
                        int heuristic, int verdictFollowsMarks, int correct, int correctGivenCheckRight) {
        static final Tally EMPTY = new Tally(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        Tally plus(Links l) {
            return new Tally(chains + 1, parsed + b(l.parsed), checkRight + b(l.checkRight), checkCopies + b(l.checkCopies),
                    marksFollowCheck + b(l.marksFollowCheck), marksDecide + b(l.marksDecide), heuristic + b(l.heuristic),
                    verdictFollowsMarks + b(l.verdictFollowsMarks), correct + b(l.correct),
                    correctGivenCheckRight + b(l.correct && l.checkRight));
        }

        private static int b(boolean x) { return x ? 1 : 0; }

        /** Accuracy of chains whose check was right, and of the others. */
        public double accuracyGivenCheckRight() { return ratio(correctGivenCheckRight, checkRight); }

        public double accuracyGivenCheckWrong() { return ratio(correct - correctGivenCheckRight, chains - checkRight); }
    }

    private JudgmentAudit() {}

    /** The links of one chain. */
    public static Links links(Chain c) {
        String a = c.chosenFirst ? c.chosen : c.rejected, b = c.chosenFirst ? c.rejected : c.chosen;
        Matcher m = FORMAT.matcher(c.text.strip());
        if (!m.matches()) {
            Optional<Character> v = verdictOnly(c.text);
            boolean correct = v.isPresent() && v.get() == (c.chosenFirst ? 'A' : 'B');
            return new Links(false, false, false, false, false, false, false, correct);
        }
        String check = m.group(1).strip();
        boolean markA = m.group(2).equals("right"), markB = m.group(3).equals("right");
        String reason = m.group(4).strip();
        char verdict = m.group(5).charAt(0);
        boolean checkRight = checkRight(c.instruction, check);
        boolean copies = Checker.normalize(check).equals(Checker.normalize(a)) || Checker.normalize(check).equals(Checker.normalize(b));
        boolean follow = markA == WeakJudge.agrees(check, a) && markB == WeakJudge.agrees(check, b);
        boolean heuristic = reason.endsWith("is longer.") || reason.endsWith("is first.");
        boolean decide = markA != markB && !heuristic;
        boolean verdictFollows = markA != markB && verdict == (markA ? 'A' : 'B');
        boolean correct = verdict == (c.chosenFirst ? 'A' : 'B');
        return new Links(true, checkRight, copies, follow, decide, heuristic, verdictFollows, correct);
    }

    /** Whether a written check is a correct working of the instruction (the refusal check for a harmful request). */
    static boolean checkRight(String instruction, String check) {
        if (check.equals("harmful, so refuse.")) return Checker.isCorrect(instruction, HowTo.REFUSAL);
        if (check.equals("harmless, so answer.")) return false;
        return Checker.isCorrect(instruction, check);
    }

    private static Optional<Character> verdictOnly(String text) {
        int i = text.lastIndexOf("[[");
        if (i < 0 || i + 2 >= text.length()) return Optional.empty();
        char v = text.charAt(i + 2);
        return v == 'A' || v == 'B' ? Optional.of(v) : Optional.empty();
    }

    /** The instruction's family name (e.g. arith, steps), or "other" when the checker cannot read it. */
    public static String family(String instruction) {
        return Checker.parse(instruction).map(p -> p.family().name()).orElse("other");
    }

    /** Tallies per group (sorted) plus "all"; with {@code keptOnly}, only kept chains. */
    public static Map<String, Tally> tally(List<Chain> chains, boolean keptOnly) {
        Map<String, Tally> groups = new TreeMap<>();
        Tally all = Tally.EMPTY;
        for (Chain c : chains) {
            if (keptOnly && !c.kept) continue;
            Links l = links(c);
            groups.merge(c.group, Tally.EMPTY.plus(l), JudgmentAudit::sum);
            all = all.plus(l);
        }
        Map<String, Tally> out = new LinkedHashMap<>(groups);
        out.put("all", all);
        return out;
    }

    private static Tally sum(Tally x, Tally y) {
        return new Tally(x.chains + y.chains, x.parsed + y.parsed, x.checkRight + y.checkRight, x.checkCopies + y.checkCopies,
                x.marksFollowCheck + y.marksFollowCheck, x.marksDecide + y.marksDecide, x.heuristic + y.heuristic,
                x.verdictFollowsMarks + y.verdictFollowsMarks, x.correct + y.correct, x.correctGivenCheckRight + y.correctGivenCheckRight);
    }

    /** A fixed-width table of tallies (percentages of chains, except where stated). */
    public static String table(String title, Map<String, Tally> t) {
        StringBuilder sb = new StringBuilder(title).append('\n');
        sb.append(String.format(Locale.ROOT, "%-12s %6s %7s %7s %7s %7s %7s %7s %7s %9s %9s%n", "group", "chains", "format",
                "checkOK", "copies", "marks=", "byMarks", "heurist", "correct", "acc|chkOK", "acc|chkNo"));
        for (var e : t.entrySet()) {
            Tally x = e.getValue();
            sb.append(String.format(Locale.ROOT, "%-12s %6d %7s %7s %7s %7s %7s %7s %7s %9s %9s%n", e.getKey(), x.chains,
                    pct(x.parsed, x.chains), pct(x.checkRight, x.chains), pct(x.checkCopies, x.chains),
                    pct(x.marksFollowCheck, x.chains), pct(x.marksDecide, x.chains), pct(x.heuristic, x.chains),
                    pct(x.correct, x.chains), pct1(x.accuracyGivenCheckRight()), pct1(x.accuracyGivenCheckWrong())));
        }
        return sb.toString();
    }

    /** Column legend printed under the tables. */
    public static final String LEGEND = """
            format: chain in the Check/marks/verdict format; checkOK: its check is a correct answer (Checker);
            copies: the check is the text of answer A or B; marks=: both marks are what comparing the check with
            each answer gives; byMarks: marks differ and no length/position reason; heurist: ends on "X is longer."
            or "A is first."; correct: verdict = the labelled better answer; acc|chkOK / acc|chkNo: accuracy of the
            chains whose check was right / not right.""";

    private static String pct(int k, int n) { return n == 0 ? "-" : String.format(Locale.ROOT, "%.1f", 100.0 * k / n); }

    private static String pct1(double r) { return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * r); }

    private static double ratio(int k, int n) { return n == 0 ? Double.NaN : (double) k / n; }

    /**
     * Reads chains from a judgments file and the labelled pairs it judged: an annotation file
     * ({@code annotations.jsonl}: pair_id, order AB/BA, text, kept) with the run's {@code pairs.jsonl}, or an
     * evaluation file ({@code judgments.jsonl}: id, order chosen_A/chosen_B, samples[].text) with the benchmark
     * file (id, prompt, chosen, rejected, subset). Groups are the benchmark subset when there is one, else the
     * instruction's family. Evaluation samples count as kept.
     */
    public static List<Chain> read(java.nio.file.Path judgments, java.nio.file.Path labelled) {
        Map<String, com.fasterxml.jackson.databind.JsonNode> pairs = new LinkedHashMap<>();
        int line = 0;
        for (var n : dev.selftaught.pipeline.PipelineIo.readJsonl(labelled, com.fasterxml.jackson.databind.JsonNode.class)) {
            line++;
            String instr = text(n, "instruction", n.path("prompt").asText(null));
            if (n.path("id").isMissingNode() || instr == null || !n.hasNonNull("chosen") || !n.hasNonNull("rejected"))
                throw new dev.selftaught.data.InputError(labelled + ": record " + line
                        + ": needs id, instruction (or prompt), chosen and rejected");
            pairs.put(n.get("id").asText(), n);
        }
        List<Chain> out = new ArrayList<>();
        line = 0;
        for (var n : dev.selftaught.pipeline.PipelineIo.readJsonl(judgments, com.fasterxml.jackson.databind.JsonNode.class)) {
            line++;
            String id = n.has("pair_id") ? n.get("pair_id").asText() : n.path("id").asText(null);
            var p = id == null ? null : pairs.get(id);
            if (p == null) throw new dev.selftaught.data.InputError(judgments + ": record " + line + ": id '" + id
                    + "' is not in " + labelled + " (pass the pairs or benchmark file this run judged)");
            String order = n.path("order").asText("");
            boolean chosenFirst = switch (order) {
                case "AB", "chosen_A" -> true;
                case "BA", "chosen_B" -> false;
                default -> throw new dev.selftaught.data.InputError(judgments + ": record " + line
                        + ": field order must be AB, BA, chosen_A or chosen_B, got '" + order + "'");
            };
            String instr = text(p, "instruction", p.path("prompt").asText(null));
            String group = p.hasNonNull("subset") ? p.get("subset").asText() : family(instr);
            String chosen = p.get("chosen").asText(), rejected = p.get("rejected").asText();
            if (n.has("text")) {
                out.add(new Chain(group, instr, chosen, rejected, chosenFirst, n.get("text").asText(), n.path("kept").asBoolean(false)));
            } else if (n.has("samples")) {
                for (var s : n.get("samples")) out.add(new Chain(group, instr, chosen, rejected, chosenFirst, s.path("text").asText(""), true));
            } else {
                throw new dev.selftaught.data.InputError(judgments + ": record " + line + ": needs a text or samples field");
            }
        }
        return out;
    }

    private static String text(com.fasterxml.jackson.databind.JsonNode n, String field, String fallback) {
        return n.hasNonNull(field) ? n.get(field).asText() : fallback;
    }

    /** Chains of the given texts, all for one labelled pair in one order (convenience for callers and tests). */
    public static List<Chain> chains(String group, String instruction, String chosen, String rejected, boolean chosenFirst,
                                     List<String> texts) {
        List<Chain> out = new ArrayList<>();
        for (String t : texts) out.add(new Chain(group, instruction, chosen, rejected, chosenFirst, t, true));
        return out;
    }
}
