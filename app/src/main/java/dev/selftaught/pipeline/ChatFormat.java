package dev.selftaught.pipeline;

import dev.selftaught.data.InputError;
import dev.selftaught.data.ChatMessage;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.UUID;

/**
 * How a chat prompt is flattened into the fairseq2 {@code src} string: {@code llama3} (the seed
 * family of the method; header tokens with a generation prompt) or {@code plain} (turns joined by
 * blank lines).
 */
public enum ChatFormat {
    LLAMA3, PLAIN;

    public String render(List<ChatMessage> messages) {
        StringBuilder sb = new StringBuilder();
        if (this == LLAMA3) {
            sb.append("<|begin_of_text|>");
            for (ChatMessage m : messages) {
                sb.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n")
                        .append(m.content()).append("<|eot_id|>");
            }
            sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        } else {
            for (ChatMessage m : messages) {
                if (!sb.isEmpty()) sb.append("\n\n");
                sb.append(m.content());
            }
            sb.append("\n\n");
        }
        return sb.toString();
    }

    public static ChatFormat named(String s) {
        if (s == null) return LLAMA3;
        return switch (s.toLowerCase()) {
            case "llama3" -> LLAMA3;
            case "plain" -> PLAIN;
            default -> throw new InputError("annotate.chat_format must be llama3 or plain, got '" + s + "'");
        };
    }

    /** Name-based UUID version 5 (SHA-1) in the URL namespace, as fairseq2 example ids (spec §2.5). */
    public static String uuid5(String name) {
        try {
            UUID ns = UUID.fromString("6ba7b811-9dad-11d1-80b4-00c04fd430c8");
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
            b.putLong(ns.getMostSignificantBits()).putLong(ns.getLeastSignificantBits());
            sha1.update(b.array());
            sha1.update(name.getBytes(StandardCharsets.UTF_8));
            byte[] h = sha1.digest();
            h[6] = (byte) ((h[6] & 0x0f) | 0x50);
            h[8] = (byte) ((h[8] & 0x3f) | 0x80);
            java.nio.ByteBuffer r = java.nio.ByteBuffer.wrap(h, 0, 16);
            return new UUID(r.getLong(), r.getLong()).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
