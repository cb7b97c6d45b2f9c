package dev.selftaught.engine.generate;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deterministic automaton over UTF-8 bytes that accepts whole outputs of guided decoding: built
 * from a list of choices ({@link #ofChoices}) or from a regular expression of a common subset
 * ({@link #ofRegex}). Every size is bounded ({@link #MAX_STATES} states), so a hostile choice list
 * or a "catastrophic" regex costs at most a few megabytes and milliseconds to build, and matching
 * is linear (no backtracking exists in a DFA). States from which no accepting state can be reached
 * are removed: {@link #next} answers -1 for them, so decoding never walks into a dead end.
 *
 * <p>Regex subset (matched against the whole output, as vLLM's guided_regex does): literals (any
 * Unicode), {@code .} (any character but newline), classes {@code [a-z0-9_]} and {@code [^...]}
 * with ASCII members and ranges (a negated class also matches every non-ASCII character), escapes
 * {@code \d \w \s \D \W \S \n \r \t} and escaped punctuation, groups {@code ( )} and
 * {@code (?: )}, alternation {@code |}, quantifiers {@code * + ? {n} {n,} {n,m}} (counts at most
 * {@link #MAX_REPEAT}); a leading {@code ^} and trailing {@code $} are accepted and change
 * nothing. Anything else (backreferences, lookaround, {@code \b}, lazy or possessive quantifiers,
 * named groups, flags) is refused with an {@link IllegalArgumentException} naming it.
 */
public final class ByteDfa {
    public static final int MAX_STATES = 4096, MAX_REGEX_CHARS = 1024, MAX_REPEAT = 64, MAX_NFA_STATES = 20_000;

    private final int[] trans;     // state * 256 + byte -> state, or -1
    private final boolean[] accepting;

    private ByteDfa(int[] trans, boolean[] accepting) {
        this.trans = trans;
        this.accepting = accepting;
    }

    public int start() { return 0; }

    public int states() { return accepting.length; }

    /** The state after {@code b} from {@code state}, or -1 when no accepted output continues that way. */
    public int next(int state, int b) { return trans[state * 256 + (b & 0xFF)]; }

    /** The state after all of {@code bytes}, or -1. */
    public int next(int state, byte[] bytes) {
        for (int i = 0; i < bytes.length && state >= 0; i++) state = trans[state * 256 + (bytes[i] & 0xFF)];
        return state;
    }

    public boolean accepting(int state) { return accepting[state]; }

    /** True when the state has at least one outgoing byte. */
    public boolean canContinue(int state) {
        for (int b = 0; b < 256; b++) if (trans[state * 256 + b] >= 0) return true;
        return false;
    }

    /** Whole-output match, for tests and for checking a backend's answer. */
    public boolean matches(String s) {
        int st = next(start(), s.getBytes(StandardCharsets.UTF_8));
        return st >= 0 && accepting[st];
    }

    // ------------------------------------------------------------------ choices

    /** Exactly one of {@code choices} (non-empty strings; at most {@link #MAX_STATES} bytes in all). */
    public static ByteDfa ofChoices(List<String> choices) {
        if (choices.isEmpty()) throw new IllegalArgumentException("guided_choice must hold at least one choice");
        List<int[]> rows = new ArrayList<>();
        List<Boolean> acc = new ArrayList<>();
        rows.add(emptyRow());
        acc.add(false);
        for (String c : choices) {
            if (c.isEmpty()) throw new IllegalArgumentException("guided_choice entries must not be empty");
            int st = 0;
            for (byte b : c.getBytes(StandardCharsets.UTF_8)) {
                int nx = rows.get(st)[b & 0xFF];
                if (nx < 0) {
                    if (rows.size() >= MAX_STATES) {
                        throw new IllegalArgumentException("guided_choice is too large: its choices exceed " + MAX_STATES + " distinct prefix bytes");
                    }
                    nx = rows.size();
                    rows.add(emptyRow());
                    acc.add(false);
                    rows.get(st)[b & 0xFF] = nx;
                }
                st = nx;
            }
            acc.set(st, true);
        }
        int[] t = new int[rows.size() * 256];
        boolean[] a = new boolean[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, t, i * 256, 256);
            a[i] = acc.get(i);
        }
        return new ByteDfa(t, a); // every trie node leads to a choice: nothing to prune
    }

    private static int[] emptyRow() {
        int[] r = new int[256];
        Arrays.fill(r, -1);
        return r;
    }

    // ------------------------------------------------------------------ regex → NFA

    /** Thompson NFA: per state, byte-range edges and epsilon edges. */
    private static final class Nfa {
        final List<int[]> ranges = new ArrayList<>();   // per state: lo, hi, target, lo, hi, target, ...
        final List<int[]> eps = new ArrayList<>();

        int add() {
            if (ranges.size() >= MAX_NFA_STATES) throw new IllegalArgumentException("guided_regex is too complex (more than " + MAX_NFA_STATES + " automaton states before determinisation)");
            ranges.add(new int[0]);
            eps.add(new int[0]);
            return ranges.size() - 1;
        }

        void range(int from, int lo, int hi, int to) {
            int[] r = ranges.get(from);
            int[] n = Arrays.copyOf(r, r.length + 3);
            n[r.length] = lo;
            n[r.length + 1] = hi;
            n[r.length + 2] = to;
            ranges.set(from, n);
        }

        void eps(int from, int to) {
            int[] e = eps.get(from);
            int[] n = Arrays.copyOf(e, e.length + 1);
            n[e.length] = to;
            eps.set(from, n);
        }
    }

    /** A parsed regex node, rebuilt into NFA fragments as often as quantifiers need copies. */
    private sealed interface Node {}

    private record Bytes(int[][] alternatives) implements Node {} // each alternative: lo,hi pairs of a byte sequence

    private record Concat(List<Node> parts) implements Node {}

    private record Alt(List<Node> options) implements Node {}

    private record Repeat(Node body, int min, int max) implements Node {} // max -1 = unbounded

    private record Frag(int in, int out) {}

    public static ByteDfa ofRegex(String regex) {
        if (regex.length() > MAX_REGEX_CHARS) throw new IllegalArgumentException("guided_regex is longer than " + MAX_REGEX_CHARS + " characters");
        Parser p = new Parser(regex);
        Node root = p.parse();
        Nfa nfa = new Nfa();
        Frag f = build(nfa, root);
        return determinise(nfa, f.in, f.out);
    }

    private static Frag build(Nfa nfa, Node node) {
        switch (node) {
            case Bytes b -> {
                int in = nfa.add(), out = nfa.add();
                for (int[] seq : b.alternatives) {
                    int cur = in;
                    for (int i = 0; i < seq.length; i += 2) {
                        int to = i + 2 == seq.length ? out : nfa.add();
                        nfa.range(cur, seq[i], seq[i + 1], to);
                        cur = to;
                    }
                }
                return new Frag(in, out);
            }
            case Concat c -> {
                if (c.parts.isEmpty()) {
                    int s = nfa.add();
                    return new Frag(s, s);
                }
                Frag first = build(nfa, c.parts.getFirst());
                int out = first.out;
                for (int i = 1; i < c.parts.size(); i++) {
                    Frag f = build(nfa, c.parts.get(i));
                    nfa.eps(out, f.in);
                    out = f.out;
                }
                return new Frag(first.in, out);
            }
            case Alt a -> {
                int in = nfa.add(), out = nfa.add();
                for (Node o : a.options) {
                    Frag f = build(nfa, o);
                    nfa.eps(in, f.in);
                    nfa.eps(f.out, out);
                }
                return new Frag(in, out);
            }
            case Repeat r -> {
                int in = nfa.add(), out = in;
                for (int i = 0; i < r.min; i++) {
                    Frag f = build(nfa, r.body);
                    nfa.eps(out, f.in);
                    out = f.out;
                }
                if (r.max < 0) {
                    Frag f = build(nfa, r.body);
                    int end = nfa.add();
                    nfa.eps(out, f.in);
                    nfa.eps(out, end);
                    nfa.eps(f.out, f.in);
                    nfa.eps(f.out, end);
                    out = end;
                } else {
                    int end = nfa.add();
                    for (int i = r.min; i < r.max; i++) {
                        nfa.eps(out, end);
                        Frag f = build(nfa, r.body);
                        nfa.eps(out, f.in);
                        out = f.out;
                    }
                    nfa.eps(out, end);
                    out = end;
                }
                return new Frag(in, out);
            }
        }
    }

    private static BitSet closure(Nfa nfa, BitSet set) {
        BitSet c = (BitSet) set.clone();
        int[] stack = new int[nfa.ranges.size()];
        int sp = 0;
        for (int s = c.nextSetBit(0); s >= 0; s = c.nextSetBit(s + 1)) stack[sp++] = s;
        while (sp > 0) {
            int s = stack[--sp];
            for (int t : nfa.eps.get(s)) {
                if (!c.get(t)) {
                    c.set(t);
                    stack[sp++] = t;
                }
            }
        }
        return c;
    }

    private static ByteDfa determinise(Nfa nfa, int start, int accept) {
        Map<BitSet, Integer> ids = new HashMap<>();
        List<BitSet> sets = new ArrayList<>();
        List<int[]> rows = new ArrayList<>();
        BitSet s0 = new BitSet();
        s0.set(start);
        s0 = closure(nfa, s0);
        ids.put(s0, 0);
        sets.add(s0);
        for (int d = 0; d < sets.size(); d++) {
            BitSet cur = sets.get(d);
            int[] row = emptyRow();
            // Byte boundaries where the set of matching edges can change.
            BitSet cuts = new BitSet(257);
            cuts.set(0);
            cuts.set(256);
            for (int s = cur.nextSetBit(0); s >= 0; s = cur.nextSetBit(s + 1)) {
                int[] r = nfa.ranges.get(s);
                for (int i = 0; i < r.length; i += 3) {
                    cuts.set(r[i]);
                    cuts.set(r[i + 1] + 1);
                }
            }
            for (int lo = 0; lo < 256; ) {
                int hi = cuts.nextSetBit(lo + 1); // interval [lo, hi)
                BitSet to = new BitSet();
                for (int s = cur.nextSetBit(0); s >= 0; s = cur.nextSetBit(s + 1)) {
                    int[] r = nfa.ranges.get(s);
                    for (int i = 0; i < r.length; i += 3) if (r[i] <= lo && lo <= r[i + 1]) to.set(r[i + 2]);
                }
                if (!to.isEmpty()) {
                    to = closure(nfa, to);
                    Integer id = ids.get(to);
                    if (id == null) {
                        if (sets.size() >= MAX_STATES) {
                            throw new IllegalArgumentException("guided_regex is too complex: its automaton exceeds " + MAX_STATES + " states");
                        }
                        id = sets.size();
                        ids.put(to, id);
                        sets.add(to);
                    }
                    Arrays.fill(row, lo, hi, id);
                }
                lo = hi;
            }
            rows.add(row);
        }
        int n = sets.size();
        boolean[] acc = new boolean[n];
        for (int i = 0; i < n; i++) acc[i] = sets.get(i).get(accept);
        // Live states: those that reach an accepting state.
        boolean[] live = acc.clone();
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int i = 0; i < n; i++) {
                if (live[i]) continue;
                for (int t : rows.get(i)) {
                    if (t >= 0 && live[t]) {
                        live[i] = changed = true;
                        break;
                    }
                }
            }
        }
        if (!live[0]) throw new IllegalArgumentException("guided_regex matches no string at all");
        int[] t = new int[n * 256];
        for (int i = 0; i < n; i++) {
            int[] row = rows.get(i);
            for (int b = 0; b < 256; b++) t[i * 256 + b] = row[b] >= 0 && live[row[b]] ? row[b] : -1;
        }
        return new ByteDfa(t, acc);
    }

    // ------------------------------------------------------------------ parser

    private static final class Parser {
        private final String re;
        private int pos;

        Parser(String re) {
            this.re = re;
        }

        Node parse() {
            if (re.startsWith("^")) pos = 1;
            Node n = alt(0);
            if (pos < re.length()) throw unsupported(re.charAt(pos) == ')' ? "an unbalanced ')'" : "'" + re.charAt(pos) + "'");
            return n;
        }

        private IllegalArgumentException unsupported(String what) {
            return new IllegalArgumentException("guided_regex: " + what + " at offset " + pos
                    + " is not supported (supported: literals, ., [classes], \\d \\w \\s, groups, |, * + ? {n,m}; see docs/server.md)");
        }

        private Node alt(int depth) {
            if (depth > 32) throw unsupported("nesting deeper than 32 groups");
            List<Node> opts = new ArrayList<>();
            opts.add(concat(depth));
            while (pos < re.length() && re.charAt(pos) == '|') {
                pos++;
                opts.add(concat(depth));
            }
            return opts.size() == 1 ? opts.getFirst() : new Alt(opts);
        }

        private Node concat(int depth) {
            List<Node> parts = new ArrayList<>();
            while (pos < re.length()) {
                char c = re.charAt(pos);
                if (c == '|' || c == ')') break;
                if (c == '$' && pos == re.length() - 1) { pos++; break; }
                Node atom = atom(depth);
                parts.add(quantified(atom));
            }
            return parts.size() == 1 ? parts.getFirst() : new Concat(parts);
        }

        private Node quantified(Node atom) {
            if (pos >= re.length()) return atom;
            char c = re.charAt(pos);
            int min, max;
            if (c == '*') { min = 0; max = -1; pos++; }
            else if (c == '+') { min = 1; max = -1; pos++; }
            else if (c == '?') { min = 0; max = 1; pos++; }
            else if (c == '{' && pos + 1 < re.length() && Character.isDigit(re.charAt(pos + 1))) {
                int close = re.indexOf('}', pos);
                if (close < 0) throw unsupported("an unterminated '{'");
                String body = re.substring(pos + 1, close);
                String[] mm = body.split(",", -1);
                try {
                    min = Integer.parseInt(mm[0]);
                    max = mm.length == 1 ? min : mm[1].isEmpty() ? -1 : Integer.parseInt(mm[1]);
                } catch (NumberFormatException e) {
                    throw unsupported("the quantifier {" + body + "}");
                }
                if (mm.length > 2 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && max < min)) {
                    throw unsupported("the quantifier {" + body + "} (counts must be ordered and at most " + MAX_REPEAT + ")");
                }
                pos = close + 1;
            } else {
                return atom;
            }
            if (pos < re.length() && (re.charAt(pos) == '?' || re.charAt(pos) == '+')) throw unsupported("a lazy or possessive quantifier");
            if (pos < re.length() && "*+?".indexOf(re.charAt(pos)) >= 0) throw unsupported("a repeated quantifier");
            return new Repeat(atom, min, max);
        }

        private Node atom(int depth) {
            char c = re.charAt(pos);
            switch (c) {
                case '(' -> {
                    pos++;
                    if (re.startsWith("?:", pos)) pos += 2;
                    else if (pos < re.length() && re.charAt(pos) == '?') throw unsupported("a '(?' group (lookaround, named group or flags)");
                    Node inner = alt(depth + 1);
                    if (pos >= re.length() || re.charAt(pos) != ')') throw unsupported("an unterminated '('");
                    pos++;
                    return inner;
                }
                case '[' -> { return charClass(); }
                case '.' -> {
                    pos++;
                    boolean[] set = new boolean[128];
                    Arrays.fill(set, true);
                    set['\n'] = false;
                    return ascii(set, true);
                }
                case '\\' -> {
                    boolean[] set = escape(false);
                    if (set == null) return literal(unescape(re.charAt(pos - 1)));
                    boolean negated = re.charAt(pos - 1) >= 'A' && re.charAt(pos - 1) <= 'Z';
                    return ascii(set, negated);
                }
                case '*', '+', '?', '{' -> throw unsupported("a quantifier with nothing to repeat");
                case '^', '$' -> throw unsupported("an anchor inside the pattern");
                default -> {
                    int cp = re.codePointAt(pos);
                    pos += Character.charCount(cp);
                    return literal(cp);
                }
            }
        }

        /** After a backslash: a class (returned as an ASCII set; upper-case letters = negated) or null for a literal at pos-1. */
        private boolean[] escape(boolean inClass) {
            pos++;
            if (pos >= re.length()) throw unsupported("a trailing backslash");
            char e = re.charAt(pos++);
            boolean[] set = new boolean[128];
            switch (e) {
                case 'd', 'D' -> { for (char x = '0'; x <= '9'; x++) set[x] = true; }
                case 'w', 'W' -> {
                    for (char x = '0'; x <= '9'; x++) set[x] = true;
                    for (char x = 'a'; x <= 'z'; x++) set[x] = true;
                    for (char x = 'A'; x <= 'Z'; x++) set[x] = true;
                    set['_'] = true;
                }
                case 's', 'S' -> { for (char x : " \t\n\r\f\u000B".toCharArray()) set[x] = true; }
                case 'n', 'r', 't', 'f' -> { return null; }
                default -> {
                    if (Character.isLetterOrDigit(e)) throw unsupported("the escape \\" + e);
                    return null; // escaped punctuation: a literal
                }
            }
            if (e != Character.toLowerCase(e)) { // \D \W \S: complement
                boolean[] inv = new boolean[128];
                for (int i = 0; i < 128; i++) inv[i] = !set[i];
                return inv;
            }
            return set;
        }

        private static int unescape(char e) {
            return switch (e) { case 'n' -> '\n'; case 'r' -> '\r'; case 't' -> '\t'; case 'f' -> '\f'; default -> e; };
        }

        private Node literal(int cp) {
            byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            int[] seq = new int[b.length * 2];
            for (int i = 0; i < b.length; i++) seq[2 * i] = seq[2 * i + 1] = b[i] & 0xFF;
            return new Bytes(new int[][] {seq});
        }

        private Node charClass() {
            int open = pos++;
            boolean negated = pos < re.length() && re.charAt(pos) == '^';
            if (negated) pos++;
            boolean[] set = new boolean[128];
            boolean first = true;
            while (true) {
                if (pos >= re.length()) { pos = open; throw unsupported("an unterminated '['"); }
                char c = re.charAt(pos);
                if (c == ']' && !first) { pos++; break; }
                first = false;
                int lo;
                if (c == '\\') {
                    boolean[] cls = escape(true);
                    if (cls != null) {
                        for (int i = 0; i < 128; i++) set[i] |= cls[i];
                        continue;
                    }
                    lo = unescape(re.charAt(pos - 1));
                } else {
                    if (c == '[' && pos + 1 < re.length() && re.charAt(pos + 1) == ':') throw unsupported("a POSIX class");
                    lo = c;
                    pos++;
                }
                int hi = lo;
                if (pos + 1 < re.length() && re.charAt(pos) == '-' && re.charAt(pos + 1) != ']') {
                    pos++;
                    char h = re.charAt(pos);
                    if (h == '\\') {
                        if (escape(true) != null) throw unsupported("a class escape as a range end");
                        hi = unescape(re.charAt(pos - 1));
                    } else {
                        hi = h;
                        pos++;
                    }
                    if (hi < lo) throw unsupported("the reversed range " + (char) lo + "-" + (char) hi);
                }
                if (hi >= 128) throw unsupported("a non-ASCII character in a class");
                for (int x = lo; x <= hi; x++) set[x] = true;
            }
            if (negated) for (int i = 0; i < 128; i++) set[i] = !set[i];
            return ascii(set, negated);
        }

        /** Bytes matching an ASCII set, plus any multi-byte UTF-8 character when {@code withNonAscii}. */
        private static Node ascii(boolean[] set, boolean withNonAscii) {
            List<int[]> alts = new ArrayList<>();
            for (int i = 0; i < 128; ) {
                if (!set[i]) { i++; continue; }
                int j = i;
                while (j + 1 < 128 && set[j + 1]) j++;
                alts.add(new int[] {i, j});
                i = j + 1;
            }
            if (withNonAscii) {
                alts.add(new int[] {0xC2, 0xDF, 0x80, 0xBF});
                alts.add(new int[] {0xE0, 0xEF, 0x80, 0xBF, 0x80, 0xBF});
                alts.add(new int[] {0xF0, 0xF4, 0x80, 0xBF, 0x80, 0xBF, 0x80, 0xBF});
            }
            if (alts.isEmpty()) throw new IllegalArgumentException("guided_regex: a character class that matches nothing");
            return new Bytes(alts.toArray(int[][]::new));
        }
    }
}
