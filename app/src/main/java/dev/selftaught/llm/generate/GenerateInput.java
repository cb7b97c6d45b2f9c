package dev.selftaught.llm.generate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import dev.selftaught.data.InputError;
import dev.selftaught.llm.ChatMessage;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * Reads the rows of a {@code generate} input file (JSONL): each row has {@code prompt} (a string)
 * or {@code messages} (a list of {@code {role, content}}), and optionally {@code id} (string or
 * integer). Every problem is an {@link InputError} naming file, line and field.
 */
public final class GenerateInput implements Iterable<GenerateItem> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    private final Path file;

    public GenerateInput(Path file) { this.file = file; }

    /** Reads the whole file once, checking every row; returns the number of rows. */
    public long validate() {
        long n = 0;
        for (GenerateItem ignored : this) n++;
        if (n == 0) throw InputError.at(file, 0, null, "the file has no rows; give at least one JSON object per line");
        return n;
    }

    @Override
    public Iterator<GenerateItem> iterator() {
        BufferedReader reader;
        try {
            var decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            reader = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder), 1 << 16);
        } catch (NoSuchFileException e) {
            throw new InputError(file + ": no such file");
        } catch (IOException e) {
            throw new InputError(file + ": cannot read (" + e.getMessage() + ")");
        }
        return new Iterator<>() {
            long line;
            long row;
            GenerateItem next;
            boolean finished;

            @Override
            public boolean hasNext() {
                if (next != null) return true;
                if (finished) return false;
                try {
                    String text;
                    while ((text = reader.readLine()) != null) {
                        line++;
                        if (text.isBlank()) continue;
                        next = parse(text, line, row++);
                        return true;
                    }
                } catch (CharacterCodingException e) {
                    close();
                    throw InputError.at(file, line + 1, null, "invalid UTF-8");
                } catch (IOException e) {
                    close();
                    throw new InputError(file + ": cannot read (" + e.getMessage() + ")");
                } catch (RuntimeException e) {
                    close();
                    throw e;
                }
                close();
                return false;
            }

            @Override
            public GenerateItem next() {
                if (!hasNext()) throw new NoSuchElementException();
                GenerateItem n = next;
                next = null;
                return n;
            }

            private void close() {
                finished = true;
                try {
                    reader.close();
                } catch (IOException ignored) {
                    // nothing more to read anyway
                }
            }
        };
    }

    private GenerateItem parse(String text, long line, long row) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw InputError.at(file, line, null, "malformed JSON (" + e.getOriginalMessage() + ")");
        }
        if (node == null || !node.isObject()) throw InputError.at(file, line, null, "a row must be a JSON object");
        JsonNode id = node.get("id");
        if (id == null || id.isNull()) id = IntNode.valueOf((int) Math.min(row, Integer.MAX_VALUE));
        else if (!id.isTextual() && !id.isIntegralNumber()) throw InputError.at(file, line, "id", "must be a string or an integer");
        JsonNode prompt = node.get("prompt");
        JsonNode messages = node.get("messages");
        if (prompt != null && messages != null) {
            throw InputError.at(file, line, "prompt", "a row has either 'prompt' or 'messages', not both");
        }
        if (prompt == null && messages == null) {
            throw InputError.at(file, line, "prompt", "missing; give 'prompt' (a string) or 'messages' (a list of {role, content})");
        }
        if (prompt != null) {
            if (!prompt.isTextual()) throw InputError.at(file, line, "prompt", "must be a string, got " + kind(prompt));
            return new GenerateItem(id, null, prompt.asText());
        }
        if (!messages.isArray()) throw InputError.at(file, line, "messages", "must be a list of {role, content}, got " + kind(messages));
        if (messages.isEmpty()) throw InputError.at(file, line, "messages", "must not be empty");
        List<ChatMessage> list = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) throw InputError.at(file, line, where, "must be an object {role, content}, got " + kind(m));
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || !role.isTextual()) throw InputError.at(file, line, where + ".role", role == null ? "missing" : "must be a string, got " + kind(role));
            if (!ROLES.contains(role.asText())) throw InputError.at(file, line, where + ".role", "must be system, user or assistant, got '" + role.asText() + "'");
            if (content == null || !content.isTextual()) throw InputError.at(file, line, where + ".content", content == null ? "missing" : "must be a string, got " + kind(content));
            list.add(new ChatMessage(role.asText(), content.asText()));
        }
        return new GenerateItem(id, list, null);
    }

    private static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "a list";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case STRING -> "a string";
            default -> n.getNodeType().toString().toLowerCase();
        };
    }
}
