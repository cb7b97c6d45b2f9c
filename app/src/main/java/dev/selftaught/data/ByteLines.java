package dev.selftaught.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a byte stream into '\n'-terminated lines and decodes each with a strict UTF-8 decoder,
 * so an invalid byte is reported on the exact line it is on (a Reader decodes ahead and would
 * report it lines early). Memory is one read buffer plus the longest line.
 */
final class ByteLines {
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int lim;
    private byte[] line = new byte[1024];
    private int len;
    private boolean terminated;
    private long number;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    ByteLines(InputStream in) {
        this.in = in;
    }

    /** Reads the next line into the internal buffer; false at end of input. */
    boolean next() throws IOException {
        len = 0;
        terminated = false;
        while (true) {
            if (pos == lim) {
                int r = in.read(buf);
                if (r <= 0) {
                    pos = lim = 0;
                    if (len == 0) return false;
                    number++;
                    return true; // last line without '\n'
                }
                pos = 0;
                lim = r;
            }
            int nl = -1;
            for (int i = pos; i < lim; i++) {
                if (buf[i] == '\n') { nl = i; break; }
            }
            int end = nl < 0 ? lim : nl;
            append(pos, end - pos);
            if (nl >= 0) {
                pos = nl + 1;
                terminated = true;
                number++;
                return true;
            }
            pos = lim;
        }
    }

    private void append(int from, int count) {
        if (len + count > line.length) line = Arrays.copyOf(line, Math.max(line.length * 2, len + count));
        System.arraycopy(buf, from, line, len, count);
        len += count;
    }

    /** 1-based number of the current line. */
    long number() { return number; }

    /** Whether the current line ended with '\n' (false only for a final unterminated line). */
    boolean terminated() { return terminated; }

    /** Length in bytes of the current line, without '\n'. */
    int length() { return len; }

    /**
     * The current line decoded as UTF-8, without its "\r\n" / "\n" and, on line 1, without a
     * byte-order mark. Throws {@link MalformedLine} with the byte offset of the first bad byte.
     */
    String text() throws MalformedLine {
        int start = 0;
        int end = len;
        if (number == 1 && len >= 3 && (line[0] & 0xFF) == 0xEF && (line[1] & 0xFF) == 0xBB && (line[2] & 0xFF) == 0xBF) start = 3;
        if (end > start && line[end - 1] == '\r') end--;
        ByteBuffer bb = ByteBuffer.wrap(line, start, end - start);
        CharBuffer cb = CharBuffer.allocate(end - start);
        decoder.reset();
        CoderResult cr = decoder.decode(bb, cb, true);
        if (!cr.isError()) cr = decoder.flush(cb);
        if (cr.isError()) throw new MalformedLine(bb.position());
        cb.flip();
        return cb.toString();
    }

    /** The current line is not valid UTF-8. */
    static final class MalformedLine extends Exception {
        final int byteOffset;

        MalformedLine(int byteOffset) {
            super(null, null, false, false);
            this.byteOffset = byteOffset;
        }
    }
}
