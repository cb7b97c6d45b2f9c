package dev.selftaught.engine.llama2c;

import dev.selftaught.engine.model.ModelFormatException;
import dev.selftaught.engine.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The llama2.c {@code tok*.bin} vocabulary: int32 max_token_length, then per token a float32
 * merge score, an int32 byte length and the piece's bytes (SentencePiece's '▁' already replaced
 * by a space). Ids 0, 1, 2 are {@code <unk>}, BOS and EOS; pieces {@code <0xXX>} are byte-fallback
 * tokens.
 *
 * <p>Encoding follows run.c: a leading space (SentencePiece's dummy prefix) when the text is not
 * empty, one token per UTF-8 code point that is in the vocabulary (its bytes as byte tokens
 * otherwise), then repeatedly merge the adjacent pair whose concatenation is in the vocabulary
 * with the highest score. Decoding drops the control tokens and the dummy-prefix space of the
 * first piece (at the start or right after BOS), as SentencePiece does.
 */
public final class Llama2cTokenizer implements Tokenizer {
    public static final int UNK = 0, BOS = 1, EOS = 2;

    private final String[] pieces;
    private final byte[][] pieceBytes;
    private final float[] scores;
    private final int maxTokenLength;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int[] byteToken = new int[256];

    public Llama2cTokenizer(String[] pieces, float[] scores, int maxTokenLength) {
        if (pieces.length != scores.length) throw new IllegalArgumentException("pieces and scores differ in length");
        if (pieces.length < 3) throw new IllegalArgumentException("a llama2.c vocabulary needs at least <unk>, <s>, </s>");
        this.pieces = pieces.clone();
        this.scores = scores.clone();
        this.maxTokenLength = maxTokenLength;
        this.pieceBytes = new byte[pieces.length][];
        Arrays.fill(byteToken, -1);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
            int b = byteValue(pieces[i]);
            if (b >= 0 && byteToken[b] < 0) byteToken[b] = i;
            pieceBytes[i] = b >= 0 ? new byte[] {(byte) b} : pieces[i].getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * A made-up vocabulary of {@code size} tokens for benchmark models with random weights:
     * the three control tokens, the 256 byte tokens, then pieces "t3", "t4", ... (no merges).
     */
    public static Llama2cTokenizer synthetic(int size) {
        if (size < 259) throw new IllegalArgumentException("a synthetic vocabulary needs at least 259 tokens (3 control + 256 bytes)");
        String[] p = new String[size];
        float[] sc = new float[size];
        p[0] = "<unk>";
        p[1] = "\n<s>\n";
        p[2] = "\n</s>\n";
        for (int b = 0; b < 256; b++) p[3 + b] = String.format("<0x%02X>", b);
        for (int i = 259; i < size; i++) p[i] = "t" + i;
        int max = 0;
        for (String s : p) max = Math.max(max, s.getBytes(StandardCharsets.UTF_8).length);
        return new Llama2cTokenizer(p, sc, max);
    }

    /** Reads a tok*.bin file; the vocabulary size is the number of entries in it. */
    public static Llama2cTokenizer read(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) throw ModelFormatException.at(file, "too short for a llama2.c tokenizer (" + data.length + " bytes)");
        int maxLen = b.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) throw ModelFormatException.at(file, "not a llama2.c tokenizer: max_token_length is " + maxLen);
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (b.hasRemaining()) {
            int at = b.position();
            if (b.remaining() < 8) throw ModelFormatException.at(file, "truncated entry for token " + pieces.size() + " at byte " + at);
            float score = b.getFloat();
            int len = b.getInt();
            if (len < 0 || len > maxLen || len > b.remaining()) {
                throw ModelFormatException.at(file, "token " + pieces.size() + " at byte " + at + " has length " + len
                        + " (max_token_length " + maxLen + ", " + b.remaining() + " bytes left)");
            }
            byte[] s = new byte[len];
            b.get(s);
            pieces.add(new String(s, StandardCharsets.UTF_8));
            scores.add(score);
        }
        float[] sc = new float[scores.size()];
        for (int i = 0; i < sc.length; i++) sc[i] = scores.get(i);
        try {
            return new Llama2cTokenizer(pieces.toArray(String[]::new), sc, maxLen);
        } catch (IllegalArgumentException e) {
            throw ModelFormatException.at(file, e.getMessage());
        }
    }

    /** Writes this vocabulary in tok*.bin format, atomically. */
    public void write(Path file) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        out.write(b.putInt(0, maxTokenLength).array(), 0, 4);
        for (int i = 0; i < pieces.length; i++) {
            byte[] s = pieces[i].getBytes(StandardCharsets.UTF_8);
            b.clear();
            b.putFloat(scores[i]).putInt(s.length);
            out.write(b.array(), 0, 8);
            out.write(s);
        }
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, out.toByteArray());
            Llama2cCheckpoint.readableByAll(tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static int byteValue(String piece) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            try {
                return Integer.parseInt(piece.substring(3, 5), 16);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    public String piece(int id) { return pieces[id]; }

    public float score(int id) { return scores[id]; }

    @Override
    public int[] encode(String text, boolean addBos) {
        int[] buf = new int[text.length() * 4 + 3];
        int n = 0;
        if (addBos) buf[n++] = BOS;
        int start = n;
        if (!text.isEmpty()) {
            Integer space = ids.get(" ");
            if (space != null) buf[n++] = space;
            int i = 0;
            while (i < text.length()) {
                int cp = text.codePointAt(i);
                int cl = Character.charCount(cp);
                String ch = text.substring(i, i + cl);
                Integer id = ids.get(ch);
                if (id != null) {
                    buf[n++] = id;
                } else {
                    for (byte by : ch.getBytes(StandardCharsets.UTF_8)) {
                        int t = byteToken[by & 0xFF];
                        buf[n++] = t >= 0 ? t : UNK;
                    }
                }
                i += cl;
            }
        }
        int merged = merge(buf, start, n);
        return Arrays.copyOf(buf, merged);
    }

    /**
     * Applies run.c's merge rule to {@code buf[start..n)}: repeatedly merge the adjacent pair whose
     * concatenation is a vocabulary piece with the highest score, the leftmost on ties. A priority
     * queue over a linked list of symbols gives the same result as run.c's rescans in
     * O(n log n) instead of O(n^2), which matters for long judge prompts. Returns the new length.
     */
    private int merge(int[] buf, int start, int n) {
        int len = n - start;
        if (len < 2) return n;
        int[] tok = Arrays.copyOfRange(buf, start, n);
        int[] prev = new int[len], next = new int[len];
        for (int i = 0; i < len; i++) { prev[i] = i - 1; next[i] = i + 1 < len ? i + 1 : -1; }
        // Candidate: {merged id, left node, left token, right node, right token}; best score first,
        // then leftmost node (nodes keep their original left-to-right order).
        java.util.PriorityQueue<int[]> pq = new java.util.PriorityQueue<>((x, y) -> {
            int c = Float.compare(scores[y[0]], scores[x[0]]);
            return c != 0 ? c : Integer.compare(x[1], y[1]);
        });
        for (int i = 0; i + 1 < len; i++) offer(pq, tok, i, i + 1);
        while (!pq.isEmpty()) {
            int[] cand = pq.poll();
            int l = cand[1], r = cand[3];
            if (tok[l] != cand[2] || tok[r] != cand[4] || next[l] != r) continue; // stale
            tok[l] = cand[0];
            tok[r] = -1;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) offer(pq, tok, prev[l], l);
            if (next[l] >= 0) offer(pq, tok, l, next[l]);
        }
        int out = start;
        for (int i = 0; i >= 0; i = next[i]) buf[out++] = tok[i];
        return out;
    }

    private void offer(java.util.PriorityQueue<int[]> pq, int[] tok, int l, int r) {
        Integer id = ids.get(pieces[tok[l]] + pieces[tok[r]]);
        if (id != null) pq.add(new int[] {id, l, tok[l], r, tok[r]});
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = -1;
        for (int id : ids) {
            out.writeBytes(streamBytes(prev, id));
            prev = id;
        }
        return new String(out.toByteArray(), StandardCharsets.UTF_8); // malformed input becomes U+FFFD
    }

    @Override
    public byte[] tokenBytes(int id) { return pieceBytes[id].clone(); }

    @Override
    public byte[] streamBytes(int previousId, int id) {
        if (id == UNK || id == BOS || id == EOS) return new byte[0];
        byte[] p = pieceBytes[id];
        if ((previousId < 0 || previousId == BOS) && p.length >= 1 && p[0] == ' ' && byteValue(pieces[id]) < 0) {
            return Arrays.copyOfRange(p, 1, p.length);
        }
        return p.clone();
    }

    @Override
    public int vocabSize() { return pieces.length; }

    @Override
    public int bos() { return BOS; }

    @Override
    public int eos() { return EOS; }
}
