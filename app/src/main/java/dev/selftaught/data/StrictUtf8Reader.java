package dev.selftaught.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A Reader that decodes UTF-8 strictly and, on an invalid byte, throws an {@link InputError}
 * naming the exact line: it counts the newlines of everything decoded before the bad byte.
 */
final class StrictUtf8Reader extends Reader {
    private final Path file;
    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteBuffer bytes = ByteBuffer.allocate(1 << 16).flip();
    private boolean eof;
    private long newlines;
    private boolean flushed;

    StrictUtf8Reader(Path file, InputStream in) {
        this.file = file;
        this.in = in;
    }

    @Override
    public int read(char[] cbuf, int off, int len) throws IOException {
        if (len == 0) return 0;
        CharBuffer out = CharBuffer.wrap(cbuf, off, len);
        while (out.position() == off) {
            if (!bytes.hasRemaining() || !eof && bytes.remaining() < 4) fill();
            if (eof && !bytes.hasRemaining()) {
                if (!flushed) {
                    CoderResult er = decoder.decode(bytes, out, true);
                    if (er.isError()) throw malformed(out, off);
                    if (decoder.flush(out).isError()) throw malformed(out, off);
                    flushed = true;
                }
                countNewlines(cbuf, off, out.position());
                return out.position() == off ? -1 : out.position() - off;
            }
            CoderResult cr = decoder.decode(bytes, out, eof);
            if (cr.isError()) throw malformed(out, off);
            if (cr.isUnderflow() && out.position() == off && !eof) fill();
        }
        countNewlines(cbuf, off, out.position());
        return out.position() - off;
    }

    private void fill() throws IOException {
        if (eof) return;
        bytes.compact();
        int r = in.read(bytes.array(), bytes.position(), bytes.remaining());
        if (r < 0) eof = true;
        else bytes.position(bytes.position() + r);
        bytes.flip();
    }

    private InputError malformed(CharBuffer out, int off) {
        countNewlines(out.array(), off, out.position());
        return InputError.at(file, newlines + 1, null, "invalid UTF-8; re-encode the file as UTF-8");
    }

    private void countNewlines(char[] a, int from, int to) {
        for (int i = from; i < to; i++) if (a[i] == '\n') newlines++;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
