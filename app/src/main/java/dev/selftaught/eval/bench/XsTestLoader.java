package dev.selftaught.eval.bench;

import dev.selftaught.data.InputError;
import dev.selftaught.eval.PairwiseItem;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * XSTest v2 completions with human labels (one CSV per model: {@code id, type, prompt,
 * completion, ..., final_label}) turned into refusal pairs. Our pairing rule (RewardBench's exact
 * selection is not published in a reproducible form):
 * <ul>
 *   <li>prompts whose {@code type} starts with {@code contrast_} are unsafe and go to
 *       {@code xstest-should-refuse}: chosen = a completion labelled {@code 2_full_refusal},
 *       rejected = one labelled {@code 1_full_compliance} (partial refusals are ambiguous and
 *       not used);</li>
 *   <li>all other prompts are safe and go to {@code xstest-should-respond}: chosen = a
 *       {@code 1_full_compliance} completion, rejected = a {@code 2_full_refusal} or
 *       {@code 3_partial_refusal} one (refusing a safe prompt, even partly, is the failure);</li>
 *   <li>for each side the first model in the fixed order gpt4, llama2new, llama2orig,
 *       mistralguard, mistralinstruct that has a completion with the wanted label is used;</li>
 *   <li>a prompt without both kinds of completion is skipped and counted.</li>
 * </ul>
 */
public final class XsTestLoader {

    private XsTestLoader() {}

    public static final List<String> MODELS = List.of("gpt4", "llama2new", "llama2orig", "mistralguard", "mistralinstruct");
    public static final String REFUSE = "xstest-should-refuse";
    public static final String RESPOND = "xstest-should-respond";

    public static String fileName(String model) {
        return "evaluation_automated_evaluation_labels_xstest_v2_completions_" + model + "_gpteval.csv";
    }

    private record Row(String id, String type, String prompt, String completion, String label) {}

    public static Benchmark load(Path dir) {
        // id -> (model -> row), ids in file order
        Map<String, Map<String, Row>> byId = new LinkedHashMap<>();
        for (String model : MODELS) {
            Path file = dir.resolve(fileName(model));
            List<List<String>> rows = Csv.read(file);
            if (rows.isEmpty()) throw new InputError(file + ": empty CSV");
            List<String> header = rows.getFirst();
            int iId = col(file, header, "id"), iType = col(file, header, "type"), iPrompt = col(file, header, "prompt"),
                    iComp = col(file, header, "completion"), iLabel = col(file, header, "final_label");
            for (int i = 1; i < rows.size(); i++) {
                List<String> r = rows.get(i);
                if (r.size() < header.size()) throw InputError.at(file, i + 1, null, "expected " + header.size() + " columns, got " + r.size());
                Row row = new Row(r.get(iId), r.get(iType), r.get(iPrompt), r.get(iComp), r.get(iLabel));
                byId.computeIfAbsent(row.id, k -> new LinkedHashMap<>()).put(model, row);
            }
        }
        List<PairwiseItem> refuse = new ArrayList<>(), respond = new ArrayList<>();
        Map<String, Integer> skipped = new TreeMap<>();
        for (var e : byId.entrySet()) {
            Row any = e.getValue().values().iterator().next();
            boolean unsafe = any.type.startsWith("contrast");
            Row good = null, bad = null;
            for (String model : MODELS) {
                Row r = e.getValue().get(model);
                if (r == null) continue;
                boolean refusal = r.label.equals("2_full_refusal");
                boolean partial = r.label.equals("3_partial_refusal");
                boolean compliance = r.label.equals("1_full_compliance");
                if (good == null && (unsafe ? refusal : compliance)) good = r;
                if (bad == null && (unsafe ? compliance : refusal || partial)) bad = r;
            }
            String subset = unsafe ? REFUSE : RESPOND;
            if (good == null || bad == null) {
                skipped.merge(subset + ": no completion of both kinds", 1, Integer::sum);
                continue;
            }
            (unsafe ? refuse : respond).add(PairwiseItem.single(subset + "/" + e.getKey(), any.prompt,
                    good.completion, bad.completion, subset));
        }
        List<PairwiseItem> all = new ArrayList<>(refuse);
        all.addAll(respond);
        return new Benchmark("xstest", all, skipped);
    }

    private static int col(Path file, List<String> header, String name) {
        int i = header.indexOf(name);
        if (i < 0) throw InputError.at(file, 1, name, "column missing from the CSV header " + header);
        return i;
    }

    /** A minimal RFC 4180 reader: quoted fields may hold commas, quotes ("") and newlines. */
    static final class Csv {
        static List<List<String>> read(Path file) {
            String s;
            try {
                s = Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new InputError(file + ": file not found");
            } catch (IOException e) {
                throw new InputError(file + ": cannot read (" + e.getMessage() + ")");
            }
            if (!s.isEmpty() && s.charAt(0) == '\uFEFF') s = s.substring(1);
            List<List<String>> rows = new ArrayList<>();
            List<String> row = new ArrayList<>();
            StringBuilder f = new StringBuilder();
            boolean quoted = false, any = false;
            long line = 1, rowStart = 1;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (quoted) {
                    if (c == '"') {
                        if (i + 1 < s.length() && s.charAt(i + 1) == '"') { f.append('"'); i++; }
                        else quoted = false;
                    } else {
                        if (c == '\n') line++;
                        f.append(c);
                    }
                } else if (c == '"') {
                    quoted = true;
                    any = true;
                } else if (c == ',') {
                    row.add(f.toString()); f.setLength(0); any = true;
                } else if (c == '\n' || c == '\r') {
                    if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') i++;
                    line++;
                    if (any || !f.isEmpty() || !row.isEmpty()) { row.add(f.toString()); rows.add(row); }
                    row = new ArrayList<>(); f.setLength(0); any = false; rowStart = line;
                } else {
                    f.append(c); any = true;
                }
            }
            if (quoted) throw InputError.at(file, rowStart, null, "unterminated quoted field");
            if (any || !f.isEmpty() || !row.isEmpty()) { row.add(f.toString()); rows.add(row); }
            return rows;
        }
    }
}
