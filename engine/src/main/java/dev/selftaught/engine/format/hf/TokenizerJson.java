package dev.selftaught.engine.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.engine.format.ModelFormatException;
import dev.selftaught.engine.tokenizer.ByteLevelBpeTokenizer;
import dev.selftaught.engine.tokenizer.PreTokenizers;
import dev.selftaught.engine.tokenizer.SentencePieceTokenizer;
import dev.selftaught.engine.tokenizer.TokenType;
import dev.selftaught.engine.tokenizer.Tokenizer;
import dev.selftaught.engine.tokenizer.Vocabulary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * HF {@code tokenizer.json} (+ {@code tokenizer_config.json}) for BPE models, both flavours:
 * byte-level BPE (GPT-2 / Llama-3 / Qwen2: ByteLevel pre-tokenizer and decoder, Split regex) and
 * SentencePiece-style BPE (Llama-2: byte_fallback, "▁" normaliser). Reads them into a
 * {@link Vocabulary} and writes one back in the layout HF transformers and vLLM load.
 */
public final class TokenizerJson {
    private TokenizerJson() {}

    /** A tokenizer and what tokenizer_config.json says about it. */
    public record Loaded(Tokenizer tokenizer, Vocabulary vocabulary, String chatTemplate) {}

    /**
     * @param tokenizerJson   path of tokenizer.json
     * @param tokenizerConfig path of tokenizer_config.json or null
     * @param extraEos        end-of-sequence ids from config.json / generation_config.json
     */
    public static Loaded read(Path tokenizerJson, Path tokenizerConfig, int[] extraEos) throws IOException {
        JsonNode root = HfConfig.readJson(tokenizerJson);
        JsonNode cfg = tokenizerConfig != null && Files.exists(tokenizerConfig) ? HfConfig.readJson(tokenizerConfig) : HfConfig.JSON.createObjectNode();
        JsonNode model = root.path("model");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) throw ModelFormatException.in(tokenizerJson, "tokenizer model type '" + type + "' is not supported (only BPE)");
        JsonNode vocabNode = model.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) throw ModelFormatException.in(tokenizerJson, "model.vocab is missing");
        Map<Integer, String> byId = new HashMap<>();
        Map<Integer, Integer> typeById = new HashMap<>();
        int maxId = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt(-1);
            if (id < 0) throw ModelFormatException.in(tokenizerJson, "model.vocab entry '" + e.getKey() + "' has invalid id " + e.getValue());
            byId.put(id, e.getKey());
            maxId = Math.max(maxId, id);
        }
        for (JsonNode a : root.path("added_tokens")) {
            int id = a.path("id").asInt(-1);
            String content = a.path("content").asText(null);
            if (id < 0 || content == null) throw ModelFormatException.in(tokenizerJson, "added_tokens entry without id or content: " + a);
            byId.put(id, content);
            typeById.put(id, a.path("special").asBoolean(false) ? TokenType.CONTROL : TokenType.USER_DEFINED);
            maxId = Math.max(maxId, id);
        }
        boolean sentencePiece = model.path("byte_fallback").asBoolean(false) || mentions(root.path("normalizer"), "\u2581")
                || mentions(root.path("pre_tokenizer"), "Metaspace");
        int n = maxId + 1;
        List<String> tokens = new ArrayList<>(n);
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            String t = byId.get(i);
            if (t == null) { tokens.add("[PAD" + i + "]"); types[i] = TokenType.UNUSED; continue; }
            tokens.add(t);
            Integer at = typeById.get(i);
            types[i] = at != null ? at : TokenType.NORMAL;
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            if (m.isArray()) merges.add(m.get(0).asText() + " " + m.get(1).asText());
            else merges.add(m.asText());
        }
        Map<String, Integer> idOf = new HashMap<>();
        for (int i = 0; i < n; i++) idOf.putIfAbsent(tokens.get(i), i);
        int bos = tokenRef(cfg.get("bos_token"), idOf), eos = tokenRef(cfg.get("eos_token"), idOf);
        int unk = tokenRef(cfg.get("unk_token"), idOf), pad = tokenRef(cfg.get("pad_token"), idOf);
        if (unk < 0 && model.hasNonNull("unk_token")) unk = idOf.getOrDefault(model.get("unk_token").asText(), -1);
        boolean addBos = cfg.has("add_bos_token") ? cfg.get("add_bos_token").asBoolean() : postProcessorAddsBos(root.path("post_processor"), bos, idOf);
        LinkedHashSet<Integer> stops = new LinkedHashSet<>();
        for (int e : extraEos) if (e >= 0 && e < n && e != eos) stops.add(e);
        String chatTemplate = chatTemplate(cfg);

        Vocabulary v;
        Tokenizer tok;
        if (sentencePiece) {
            float[] scores = new float[n];
            Arrays.fill(scores, -1e9f);
            for (int i = 0; i < n; i++) {
                if (types[i] == TokenType.NORMAL && tokens.get(i).length() == 6 && tokens.get(i).matches("<0x[0-9A-Fa-f]{2}>")) types[i] = TokenType.BYTE;
            }
            if (unk >= 0) types[unk] = TokenType.UNKNOWN;
            // Merge rank becomes a SentencePiece score: the earlier a piece is made, the higher.
            for (int r = 0; r < merges.size(); r++) {
                Integer id = idOf.get(merges.get(r).replace(" ", ""));
                if (id != null && scores[id] == -1e9f) scores[id] = -r;
            }
            boolean prefix = mentions(root.path("normalizer"), "Prepend") || prependScheme(root.path("pre_tokenizer"));
            v = new Vocabulary(Vocabulary.Kind.SENTENCEPIECE, tokens, scores, types, List.of(), bos, eos, unk, pad, null, addBos, prefix,
                    stops.stream().mapToInt(Integer::intValue).toArray());
            tok = new SentencePieceTokenizer(v);
        } else {
            String pattern = splitPattern(root.path("pre_tokenizer"));
            for (int i = 0; i < n; i++) {
                if (types[i] == TokenType.CONTROL && i != eos && PreTokenizers.isEndOfTurn(tokens.get(i))) stops.add(i);
            }
            v = new Vocabulary(Vocabulary.Kind.BYTE_LEVEL_BPE, tokens, null, types, merges, bos, eos, unk, pad, pattern, addBos, false,
                    stops.stream().mapToInt(Integer::intValue).toArray());
            try {
                tok = new ByteLevelBpeTokenizer(v, model.path("ignore_merges").asBoolean(false), root.path("normalizer").path("type").asText("").equals("NFC"));
            } catch (IllegalArgumentException e) {   // includes an invalid Split regex
                throw ModelFormatException.in(tokenizerJson, e.getMessage());
            }
        }
        return new Loaded(tok, v, chatTemplate);
    }

    private static boolean mentions(JsonNode n, String text) { return !n.isMissingNode() && !n.isNull() && n.toString().contains(text); }

    private static boolean prependScheme(JsonNode pre) {
        if (!mentions(pre, "Metaspace")) return false;
        String s = pre.toString();
        return s.contains("\"prepend_scheme\":\"always\"") || s.contains("\"prepend_scheme\":\"first\"") || s.contains("\"add_prefix_space\":true");
    }

    /** The Split regex of the pre-tokenizer, or GPT-2's when only a ByteLevel pre-tokenizer with use_regex is given. */
    static String splitPattern(JsonNode pre) {
        List<JsonNode> parts = new ArrayList<>();
        if (pre.path("type").asText("").equals("Sequence")) pre.path("pretokenizers").forEach(parts::add);
        else parts.add(pre);
        for (JsonNode p : parts) {
            if (p.path("type").asText("").equals("Split") && p.path("pattern").has("Regex")) return p.path("pattern").path("Regex").asText();
        }
        return PreTokenizers.GPT2;
    }

    private static boolean postProcessorAddsBos(JsonNode pp, int bos, Map<String, Integer> idOf) {
        if (bos < 0) return false;
        JsonNode single = pp.path("single");
        if (single.isMissingNode()) {
            for (JsonNode p : pp.path("processors")) if (postProcessorAddsBos(p, bos, idOf)) return true;
            return false;
        }
        JsonNode first = single.path(0).path("SpecialToken").path("id");
        return !first.isMissingNode() && idOf.getOrDefault(first.asText(), -2) == bos;
    }

    private static int tokenRef(JsonNode n, Map<String, Integer> idOf) {
        if (n == null || n.isNull()) return -1;
        String s = n.isObject() ? n.path("content").asText(null) : n.asText(null);
        return s == null ? -1 : idOf.getOrDefault(s, -1);
    }

    static String chatTemplate(JsonNode cfg) {
        JsonNode t = cfg.get("chat_template");
        if (t == null || t.isNull()) return null;
        if (t.isTextual()) return t.asText();
        if (t.isArray()) {
            for (JsonNode e : t) if (e.path("name").asText("").equals("default")) return e.path("template").asText();
            return t.path(0).path("template").asText(null);
        }
        return null;
    }

    // ------------------------------------------------------------------ writing

    /** tokenizer.json text for a vocabulary. */
    public static String write(Vocabulary v) {
        ObjectNode root = HfConfig.JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        boolean sp = v.kind() == Vocabulary.Kind.SENTENCEPIECE;
        for (int i = 0; i < v.size(); i++) {
            int t = v.types()[i];
            boolean special = t == TokenType.CONTROL || t == TokenType.UNKNOWN;
            if (!special && t != TokenType.USER_DEFINED) continue;
            ObjectNode a = added.addObject();
            a.put("id", i);
            a.put("content", v.tokens().get(i));
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", !special);
            a.put("special", special);
        }
        ObjectNode model;
        if (sp) {
            ObjectNode norm = root.putObject("normalizer");
            norm.put("type", "Sequence");
            ArrayNode ns = norm.putArray("normalizers");
            if (v.addSpacePrefix()) ns.addObject().put("type", "Prepend").put("prepend", "\u2581");
            ObjectNode rep = ns.addObject().put("type", "Replace");
            rep.putObject("pattern").put("String", " ");
            rep.put("content", "\u2581");
            root.putNull("pre_tokenizer");
            postProcessor(root, v);
            ObjectNode dec = root.putObject("decoder");
            dec.put("type", "Sequence");
            ArrayNode ds = dec.putArray("decoders");
            ObjectNode r = ds.addObject().put("type", "Replace");
            r.putObject("pattern").put("String", "\u2581");
            r.put("content", " ");
            ds.addObject().put("type", "ByteFallback");
            ds.addObject().put("type", "Fuse");
            if (v.addSpacePrefix()) ds.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
            model = root.putObject("model");
            model.put("type", "BPE");
            model.putNull("dropout");
            if (v.unk() >= 0) model.put("unk_token", v.tokens().get(v.unk())); else model.putNull("unk_token");
            model.putNull("continuing_subword_prefix");
            model.putNull("end_of_word_suffix");
            model.put("fuse_unk", true);
            model.put("byte_fallback", true);
            model.put("ignore_merges", false);
        } else {
            if (PreTokenizers.QWEN2.equals(v.preTokenizer())) root.putObject("normalizer").put("type", "NFC");
            else root.putNull("normalizer");
            ObjectNode pre = root.putObject("pre_tokenizer");
            pre.put("type", "Sequence");
            ArrayNode ps = pre.putArray("pretokenizers");
            ObjectNode split = ps.addObject().put("type", "Split");
            split.putObject("pattern").put("Regex", v.preTokenizer() == null ? PreTokenizers.GPT2 : v.preTokenizer());
            split.put("behavior", "Isolated").put("invert", false);
            ps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
            postProcessor(root, v);
            root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
            model = root.putObject("model");
            model.put("type", "BPE");
            model.putNull("dropout");
            model.putNull("unk_token");
            model.putNull("continuing_subword_prefix");
            model.putNull("end_of_word_suffix");
            model.put("fuse_unk", false);
            model.put("byte_fallback", false);
            model.put("ignore_merges", PreTokenizers.LLAMA3.equals(v.preTokenizer()));
        }
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < v.size(); i++) {
            int t = v.types()[i];
            if (!sp && (t == TokenType.CONTROL || t == TokenType.USER_DEFINED)) continue; // added tokens live in added_tokens
            vocab.put(v.tokens().get(i), i);
        }
        ArrayNode merges = model.putArray("merges");
        for (String m : sp ? sentencePieceMerges(v) : v.merges()) {
            int s = m.indexOf(' ');
            merges.addArray().add(m.substring(0, s)).add(m.substring(s + 1));
        }
        try {
            return HfConfig.JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void postProcessor(ObjectNode root, Vocabulary v) {
        if (!v.addBos() || v.bos() < 0) {
            if (v.kind() == Vocabulary.Kind.BYTE_LEVEL_BPE) {
                root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", false).put("use_regex", true);
            } else {
                root.putNull("post_processor");
            }
            return;
        }
        String bos = v.tokens().get(v.bos());
        ObjectNode pp = root.putObject("post_processor");
        pp.put("type", "TemplateProcessing");
        ArrayNode single = pp.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = pp.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = pp.putObject("special_tokens").putObject(bos);
        st.put("id", bos);
        st.putArray("ids").add(v.bos());
        st.putArray("tokens").add(bos);
    }

    /**
     * Merges that make HF's rank-based BPE reproduce SentencePiece's score-based one: every split
     * of a normal piece into two normal pieces, ordered by the merged piece's score (highest first).
     */
    static List<String> sentencePieceMerges(Vocabulary v) {
        Map<String, Integer> normal = new HashMap<>();
        for (int i = 0; i < v.size(); i++) if (v.types()[i] == TokenType.NORMAL || v.types()[i] == TokenType.USER_DEFINED) normal.putIfAbsent(v.tokens().get(i), i);
        record M(int merged, int left, int right, String text) {}
        List<M> ms = new ArrayList<>();
        for (Map.Entry<String, Integer> e : normal.entrySet()) {
            String p = e.getKey();
            for (int cut = p.offsetByCodePoints(0, 1); cut < p.length(); cut = p.offsetByCodePoints(cut, 1)) {
                Integer l = normal.get(p.substring(0, cut)), r = normal.get(p.substring(cut));
                if (l != null && r != null) ms.add(new M(e.getValue(), l, r, p.substring(0, cut) + " " + p.substring(cut)));
            }
        }
        float[] sc = v.scores();
        ms.sort(Comparator.<M>comparingDouble(m -> -sc[m.merged]).thenComparingInt(m -> m.merged).thenComparingInt(m -> m.left).thenComparingInt(m -> m.right));
        return ms.stream().map(M::text).toList();
    }

    /** tokenizer_config.json text. */
    public static String writeConfig(Vocabulary v, String chatTemplate, int modelMaxLength) {
        ObjectNode c = HfConfig.JSON.createObjectNode();
        c.put("add_bos_token", v.addBos());
        c.put("add_eos_token", false);
        ObjectNode dec = c.putObject("added_tokens_decoder");
        for (int i = 0; i < v.size(); i++) {
            int t = v.types()[i];
            boolean special = t == TokenType.CONTROL || t == TokenType.UNKNOWN;
            if (!special && t != TokenType.USER_DEFINED) continue;
            ObjectNode a = dec.putObject(Integer.toString(i));
            a.put("content", v.tokens().get(i)).put("lstrip", false).put("normalized", !special).put("rstrip", false)
                    .put("single_word", false).put("special", special);
        }
        putToken(c, "bos_token", v, v.bos());
        putToken(c, "eos_token", v, v.eos());
        putToken(c, "unk_token", v, v.unk());
        putToken(c, "pad_token", v, v.pad());
        if (chatTemplate != null) c.put("chat_template", chatTemplate);
        c.put("clean_up_tokenization_spaces", false);
        c.put("model_max_length", modelMaxLength);
        // The generic fast class uses tokenizer.json exactly as written (no slow-tokenizer conversion).
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        try {
            return HfConfig.JSON.writeValueAsString(c) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * special_tokens_map.json: the bos/eos/unk/pad tokens in the object form {@code save_pretrained}
     * writes ({@code content} plus the AddedToken flags); a token the vocabulary lacks is left out.
     */
    public static String writeSpecialTokensMap(Vocabulary v) {
        ObjectNode m = HfConfig.JSON.createObjectNode();
        String[] keys = {"bos_token", "eos_token", "unk_token", "pad_token"};
        int[] ids = {v.bos(), v.eos(), v.unk(), v.pad()};
        for (int k = 0; k < keys.length; k++) {
            if (ids[k] < 0) continue;
            m.putObject(keys[k]).put("content", v.tokens().get(ids[k])).put("lstrip", false).put("normalized", false)
                    .put("rstrip", false).put("single_word", false);
        }
        try {
            return HfConfig.JSON.writeValueAsString(m) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putToken(ObjectNode c, String key, Vocabulary v, int id) {
        if (id >= 0) c.put(key, v.tokens().get(id)); else c.putNull(key);
    }
}
