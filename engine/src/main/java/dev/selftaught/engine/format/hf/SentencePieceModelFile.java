package dev.selftaught.engine.format.hf;

import dev.selftaught.engine.tokenizer.SentencePieceTokenizer;
import dev.selftaught.engine.tokenizer.TokenType;
import dev.selftaught.engine.tokenizer.Vocabulary;
import dev.selftaught.engine.format.ModelFormatException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a SentencePiece {@code tokenizer.model} (a protobuf {@code ModelProto}) by hand:
 * field 1 = repeated SentencePiece {1: piece, 2: score (float), 3: type (enum, default NORMAL)},
 * field 2 = TrainerSpec {3: model_type (1 unigram, 2 BPE), 40..43: unk/bos/eos/pad ids},
 * field 3 = NormalizerSpec {3: add_dummy_prefix, 4: remove_extra_whitespaces}.
 * Only BPE models are supported (Llama-1/2, Mistral); unigram models are refused.
 */
public final class SentencePieceModelFile {
    private SentencePieceModelFile() {}

    public static SentencePieceTokenizer read(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        Reader r = new Reader(file, b, 0, b.length);
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        int modelType = 1; // protobuf default: UNIGRAM
        int unk = 0, bos = 1, eos = 2, pad = -1;
        boolean dummyPrefix = true, removeExtra = true;
        boolean sawTrainer = false;
        while (r.more()) {
            long tagPos = r.pos;
            long tag = r.varint();
            int field = (int) (tag >>> 3), wire = (int) (tag & 7);
            if (field == 1 && wire == 2) {
                Reader p = r.sub();
                String piece = null;
                float score = 0;
                int type = TokenType.NORMAL;
                while (p.more()) {
                    long t = p.varint();
                    int f = (int) (t >>> 3), w = (int) (t & 7);
                    if (f == 1 && w == 2) piece = p.string();
                    else if (f == 2 && w == 5) score = Float.intBitsToFloat(p.fixed32());
                    else if (f == 3 && w == 0) type = (int) p.varint();
                    else p.skip(w);
                }
                if (piece == null) throw ModelFormatException.at(file, tagPos, "piece #" + pieces.size() + " has no text");
                pieces.add(piece);
                scores.add(score);
                types.add(type);
            } else if (field == 2 && wire == 2) {
                sawTrainer = true;
                Reader t = r.sub();
                while (t.more()) {
                    long tg = t.varint();
                    int f = (int) (tg >>> 3), w = (int) (tg & 7);
                    if (w != 0) { t.skip(w); continue; }
                    long v = t.varint();
                    switch (f) {
                        case 3 -> modelType = (int) v;
                        case 40 -> unk = (int) v;
                        case 41 -> bos = (int) v;
                        case 42 -> eos = (int) v;
                        case 43 -> pad = (int) v;
                        default -> { }
                    }
                }
            } else if (field == 3 && wire == 2) {
                Reader nspec = r.sub();
                while (nspec.more()) {
                    long tg = nspec.varint();
                    int f = (int) (tg >>> 3), w = (int) (tg & 7);
                    if (w == 0 && f == 3) dummyPrefix = nspec.varint() != 0;
                    else if (w == 0 && f == 4) removeExtra = nspec.varint() != 0;
                    else nspec.skip(w);
                }
            } else {
                r.skip(wire);
            }
        }
        if (pieces.isEmpty()) throw ModelFormatException.in(file, "no pieces found: not a SentencePiece model");
        if (sawTrainer && modelType != 2) {
            throw ModelFormatException.in(file, "SentencePiece model type " + modelType + " (" + (modelType == 1 ? "unigram" : "other")
                    + ") is not supported; only BPE models are");
        }
        int n = pieces.size();
        float[] sc = new float[n];
        int[] ty = new int[n];
        for (int i = 0; i < n; i++) { sc[i] = scores.get(i); ty[i] = types.get(i); }
        Vocabulary v = new Vocabulary(Vocabulary.Kind.SENTENCEPIECE, pieces, sc, ty, List.of(),
                valid(bos, n), valid(eos, n), valid(unk, n), valid(pad, n), null, true, dummyPrefix, new int[0]);
        return new SentencePieceTokenizer(v, removeExtra);
    }

    private static int valid(int id, int n) { return id >= 0 && id < n ? id : -1; }

    /** Protobuf wire-format reader over a byte range, bounds-checked. */
    private static final class Reader {
        final Path file;
        final byte[] b;
        int pos;
        final int end;

        Reader(Path file, byte[] b, int pos, int end) { this.file = file; this.b = b; this.pos = pos; this.end = end; }

        boolean more() { return pos < end; }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) throw ModelFormatException.at(file, pos, "truncated protobuf varint");
                int x = b[pos++] & 0xFF;
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) return v;
            }
            throw ModelFormatException.at(file, pos, "malformed protobuf varint");
        }

        int fixed32() {
            if (pos + 4 > end) throw ModelFormatException.at(file, pos, "truncated protobuf fixed32");
            int v = (b[pos] & 0xFF) | (b[pos + 1] & 0xFF) << 8 | (b[pos + 2] & 0xFF) << 16 | (b[pos + 3] & 0xFF) << 24;
            pos += 4;
            return v;
        }

        Reader sub() {
            long len = varint();
            if (len < 0 || pos + len > end) throw ModelFormatException.at(file, pos, "truncated protobuf message (length " + len + ")");
            Reader r = new Reader(file, b, pos, pos + (int) len);
            pos += (int) len;
            return r;
        }

        String string() {
            Reader s = sub();
            return new String(b, s.pos, s.end - s.pos, StandardCharsets.UTF_8);
        }

        void skip(int wire) {
            switch (wire) {
                case 0 -> varint();
                case 1 -> { if (pos + 8 > end) throw ModelFormatException.at(file, pos, "truncated protobuf fixed64"); pos += 8; }
                case 2 -> sub();
                case 5 -> fixed32();
                default -> throw ModelFormatException.at(file, pos, "unsupported protobuf wire type " + wire + ": not a SentencePiece model");
            }
        }
    }
}
