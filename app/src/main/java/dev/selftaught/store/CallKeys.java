package dev.selftaught.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.SamplingParams;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Content hashes that key the call store. The hashed text is a canonical JSON document (fixed
 * field order, {@code extra} keys sorted at every depth) of the model identity, the messages or
 * prompt, and every sampling parameter except {@code n}; a sample's key adds its index. So asking
 * for more samples later reuses the ones already stored, and any change of model, input or
 * parameter (including the seed) makes new keys.
 */
public final class CallKeys {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CallKeys() {}

    /** The canonical text hashed for a request (without sample index). */
    public static String canonical(String modelIdentity, ModelRequest r) {
        SamplingParams p = r.params();
        ObjectNode o = JSON.createObjectNode();
        o.put("model", modelIdentity);
        if (r.isChat()) {
            ArrayNode msgs = o.putArray("messages");
            for (ChatMessage m : r.messages()) msgs.addObject().put("role", m.role()).put("content", m.content());
        } else {
            o.put("prompt", r.prompt());
        }
        ObjectNode s = o.putObject("sampling");
        s.put("temperature", p.temperature());
        s.put("top_p", p.topP());
        s.put("top_k", p.topK());
        s.put("min_p", p.minP());
        s.put("max_tokens", p.maxTokens());
        ArrayNode stop = s.putArray("stop");
        p.stop().forEach(stop::add);
        if (p.seed() == null) s.putNull("seed");
        else s.put("seed", p.seed());
        s.set("extra", sorted(JSON.valueToTree(new TreeMap<>(p.extra()))));
        return o.toString();
    }

    public static String requestKey(String modelIdentity, ModelRequest r) {
        return sha256(canonical(modelIdentity, r));
    }

    /** Key of sample {@code index}: the hash of the canonical request text plus the index. */
    public static String sampleKey(String modelIdentity, ModelRequest r, int index) {
        return sha256(canonical(modelIdentity, r) + "\n#sample=" + index);
    }

    static String sampleKey(String canonical, int index) {
        return sha256(canonical + "\n#sample=" + index);
    }

    private static JsonNode sorted(JsonNode n) {
        if (n.isObject()) {
            TreeMap<String, JsonNode> fields = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                var e = it.next();
                fields.put(e.getKey(), sorted(e.getValue()));
            }
            ObjectNode o = JSON.createObjectNode();
            fields.forEach(o::set);
            return o;
        }
        if (n.isArray()) {
            ArrayNode a = JSON.createArrayNode();
            n.forEach(c -> a.add(sorted(c)));
            return a;
        }
        return n;
    }

    static String sha256(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
