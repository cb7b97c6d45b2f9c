package dev.selftaught.engine.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into text, {@code {{ expression }}} and {@code {% statement %}} tokens,
 * applying whitespace control ({@code -} strips, {@code +} keeps) and HF's trim_blocks /
 * lstrip_blocks rules. Comments are dropped.
 */
final class JinjaLexer {
    private JinjaLexer() {}

    enum Kind { TEXT, VAR, BLOCK }

    record Token(Kind kind, String text, int line) {}

    static List<Token> lex(String src) {
        List<Token> out = new ArrayList<>();
        int i = 0, n = src.length();
        boolean stripNextLeading = false;   // previous tag ended with "-"
        boolean trimNextNewline = false;    // previous tag was a block/comment (trim_blocks)
        while (i < n) {
            int open = nextOpen(src, i);
            String text = src.substring(i, open < 0 ? n : open);
            boolean atLineStart = i == 0 || src.charAt(i - 1) == '\n';
            if (stripNextLeading) text = stripLeading(text);
            else if (trimNextNewline) {
                if (text.startsWith("\r\n")) { text = text.substring(2); atLineStart = true; }
                else if (text.startsWith("\n")) { text = text.substring(1); atLineStart = true; }
            }
            stripNextLeading = false;
            trimNextNewline = false;
            if (open < 0) {
                if (!text.isEmpty()) out.add(new Token(Kind.TEXT, text, lineOf(src, i)));
                break;
            }
            char kind = src.charAt(open + 1);
            int contentStart = open + 2;
            char mod = contentStart < n ? src.charAt(contentStart) : ' ';
            if (mod == '-') {
                text = stripTrailing(text);
                contentStart++;
            } else if (mod == '+') {
                contentStart++;
            } else if (kind != '{') {
                text = lstripBlock(text, atLineStart); // lstrip_blocks: spaces/tabs before a block tag on its own line
            }
            if (!text.isEmpty()) out.add(new Token(Kind.TEXT, text, lineOf(src, i)));
            String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int end = kind == '#' ? src.indexOf(close, contentStart) : findClose(src, contentStart, close);
            if (end < 0) throw new JinjaTemplate.JinjaException("line " + lineOf(src, open) + ": unclosed " + src.substring(open, open + 2));
            int contentEnd = end;
            boolean rightStrip = false, rightKeep = false;
            if (contentEnd > contentStart && src.charAt(contentEnd - 1) == '-') { rightStrip = true; contentEnd--; }
            else if (contentEnd > contentStart && src.charAt(contentEnd - 1) == '+') { rightKeep = true; contentEnd--; }
            String content = src.substring(contentStart, contentEnd).strip();
            if (kind == '{') out.add(new Token(Kind.VAR, content, lineOf(src, open)));
            else if (kind == '%') out.add(new Token(Kind.BLOCK, content, lineOf(src, open)));
            stripNextLeading = rightStrip;
            trimNextNewline = kind != '{' && !rightStrip && !rightKeep;
            i = end + 2;
        }
        return out;
    }

    private static int nextOpen(String s, int from) {
        int i = from;
        while (true) {
            int j = s.indexOf('{', i);
            if (j < 0 || j + 1 >= s.length()) return -1;
            char c = s.charAt(j + 1);
            if (c == '{' || c == '%' || c == '#') return j;
            i = j + 1;
        }
    }

    /** The closing delimiter, skipping string literals inside the tag. */
    private static int findClose(String s, int from, String close) {
        char quote = 0;
        for (int i = from; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == close.charAt(0) && s.charAt(i + 1) == close.charAt(1)) {
                return i;
            }
        }
        return -1;
    }

    private static String stripLeading(String t) {
        int k = 0;
        while (k < t.length() && Character.isWhitespace(t.charAt(k))) k++;
        return t.substring(k);
    }

    private static String stripTrailing(String t) {
        int k = t.length();
        while (k > 0 && Character.isWhitespace(t.charAt(k - 1))) k--;
        return t.substring(0, k);
    }

    private static String lstripBlock(String t, boolean textStartsALine) {
        int k = t.length();
        while (k > 0 && (t.charAt(k - 1) == ' ' || t.charAt(k - 1) == '\t')) k--;
        if ((k == 0 && textStartsALine) || (k > 0 && t.charAt(k - 1) == '\n')) return t.substring(0, k);
        return t;
    }

    private static int lineOf(String s, int pos) {
        int line = 1;
        for (int i = 0; i < pos && i < s.length(); i++) if (s.charAt(i) == '\n') line++;
        return line;
    }
}
