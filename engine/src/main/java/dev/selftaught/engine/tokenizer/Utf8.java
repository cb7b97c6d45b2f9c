package dev.selftaught.engine.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-8 decoding that never fails: each invalid sequence becomes U+FFFD. */
public final class Utf8 {
    private Utf8() {}

    public static String decode(byte[] b, int len) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .replaceWith("\uFFFD")
                    .decode(ByteBuffer.wrap(b, 0, len)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalStateException(e); // cannot happen with REPLACE
        }
    }

    /** A growable byte buffer for assembling decoded token bytes. */
    static final class Bytes {
        byte[] buf = new byte[64];
        int len;

        void add(byte[] b) {
            if (len + b.length > buf.length) buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + b.length));
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
        }

        String text() { return decode(buf, len); }
    }
}
