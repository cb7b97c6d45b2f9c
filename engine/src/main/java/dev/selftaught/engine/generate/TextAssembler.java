package dev.selftaught.engine.generate;

import dev.selftaught.engine.tokenizer.Tokenizer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns generated tokens into text as they come: bytes of each token (UTF-8 sequences may span
 * tokens), stop-string detection, and streaming of the text that can no longer turn out to be
 * the start of a stop string.
 */
final class TextAssembler {
    private final Tokenizer tokenizer;
    private final List<String> stops;
    private final int maxStop;
    private final GenerationRequest.Listener listener;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(64);
    private CharBuffer chars = CharBuffer.allocate(64);
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private int prevId;
    private boolean stopped;

    TextAssembler(Tokenizer tokenizer, int lastPromptId, List<String> stops, GenerationRequest.Listener listener) {
        this.tokenizer = tokenizer;
        this.stops = stops;
        this.maxStop = stops.stream().mapToInt(String::length).max().orElse(0);
        this.listener = listener;
        this.prevId = lastPromptId;
    }

    /** Log-probabilities of accepted tokens not yet handed to the listener with some text. */
    private final List<TokenLogprob> pendingLogprobs = new java.util.ArrayList<>();

    /** Adds a token; returns true when the text now contains a stop string (text is cut there). */
    boolean accept(int id) { return accept(id, null); }

    /** Adds a token and its log-probability (may be null), streamed with the text it completes. */
    boolean accept(int id, TokenLogprob lp) {
        if (lp != null) pendingLogprobs.add(lp);
        if (tokenizer == null) return false; // token-only decoding (benchmarks)
        byte[] b = tokenizer.streamBytes(prevId, id);
        prevId = id;
        if (pending.remaining() < b.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + b.length));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        pending.put(b);
        decode(false);
        return afterAppend();
    }

    /** Ends the text: undecodable trailing bytes become U+FFFD; the rest is streamed. */
    void finish() {
        if (!stopped) {
            decode(true);
            if (!afterAppend()) emit(text.length());
        }
    }

    String text() { return text.toString(); }

    private void decode(boolean end) {
        pending.flip();
        while (true) {
            chars.clear();
            var res = utf8.decode(pending, chars, end);
            chars.flip();
            text.append(chars);
            if (!res.isOverflow()) break;
        }
        if (end) {
            chars.clear();
            utf8.flush(chars);
            chars.flip();
            text.append(chars);
            utf8.reset();
        }
        pending.compact();
    }

    private boolean afterAppend() {
        if (maxStop == 0) {
            emit(text.length());
            return false;
        }
        int from = Math.max(0, emittedSearchStart());
        int cut = -1;
        for (String s : stops) {
            int i = text.indexOf(s, from);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0) {
            text.setLength(cut);
            emit(cut);
            stopped = true;
            return true;
        }
        emit(text.length() - heldBack());
        return false;
    }

    /** Stop strings can only start after the text already streamed. */
    private int emittedSearchStart() { return emitted; }

    /** Length of the longest suffix of the text that is a proper prefix of some stop string. */
    private int heldBack() {
        int best = 0;
        int n = text.length();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, n); k > best; k--) {
                if (endsWithPrefix(n, s, k)) { best = k; break; }
            }
        }
        return best;
    }

    private boolean endsWithPrefix(int n, String s, int k) {
        for (int i = 0; i < k; i++) if (text.charAt(n - k + i) != s.charAt(i)) return false;
        return true;
    }

    private void emit(int upTo) {
        if (upTo > emitted) {
            if (listener != null) send(text.substring(emitted, upTo));
            emitted = upTo;
        }
    }

    /** Hands log-probabilities still held back (their text was cut or is empty) to the listener. */
    void flush() {
        if (listener != null && !pendingLogprobs.isEmpty()) send("");
    }

    private void send(String delta) {
        if (pendingLogprobs.isEmpty()) {
            listener.onText(delta);
        } else {
            List<TokenLogprob> lps = List.copyOf(pendingLogprobs);
            pendingLogprobs.clear();
            listener.onText(delta, lps);
        }
    }
}
