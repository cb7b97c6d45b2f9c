package dev.selftaught.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The project's one JSON configuration: strict parsing (no comments, no trailing tokens). */
public final class Json {
    /** Thread-safe once configured; share it rather than building new mappers per file. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** For reading one value at a time from a stream, where more values follow. */
    static final com.fasterxml.jackson.databind.ObjectReader STREAM_READER =
            MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}

    /** Jackson's message without its source excerpt, squeezed onto one line and kept short. */
    static String oneLine(JsonProcessingException e) {
        return squeeze(e.getOriginalMessage());
    }

    static String squeeze(String msg) {
        if (msg == null) return "unknown error";
        String s = msg.replaceAll("\\s+", " ").trim();
        return s.length() > 200 ? s.substring(0, 197) + "..." : s;
    }
}
