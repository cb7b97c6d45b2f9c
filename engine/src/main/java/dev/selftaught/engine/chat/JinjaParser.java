package dev.selftaught.engine.chat;

import dev.selftaught.engine.chat.JinjaNodes.Expr;
import dev.selftaught.engine.chat.JinjaNodes.Node;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Recursive-descent parser for template statements and Jinja expressions. */
final class JinjaParser {
    private final List<JinjaLexer.Token> tokens;
    private int pos;

    JinjaParser(List<JinjaLexer.Token> tokens) { this.tokens = tokens; }

    boolean hasMore() { return pos < tokens.size(); }
    int peekLine() { return tokens.get(pos).line(); }
    String peekTag() { return tokens.get(pos).text(); }

    private static String keyword(String block) {
        int sp = 0;
        while (sp < block.length() && Character.isLetter(block.charAt(sp))) sp++;
        return block.substring(0, sp);
    }

    /** Parses nodes until a block tag whose keyword is in {@code enders} (left unconsumed). */
    List<Node> parseBody(Set<String> enders) {
        List<Node> nodes = new ArrayList<>();
        while (pos < tokens.size()) {
            JinjaLexer.Token t = tokens.get(pos);
            switch (t.kind()) {
                case TEXT -> { nodes.add(new JinjaNodes.Text(t.text())); pos++; }
                case VAR -> { nodes.add(new JinjaNodes.Output(expr(t))); pos++; }
                case BLOCK -> {
                    String kw = keyword(t.text());
                    if (enders.contains(kw)) return nodes;
                    pos++;
                    nodes.add(statement(kw, t));
                }
            }
        }
        if (!enders.isEmpty()) throw new JinjaTemplate.JinjaException("template ended, expected {% " + String.join(" or ", enders) + " %}");
        return nodes;
    }

    private Expr expr(JinjaLexer.Token t) {
        Expr e;
        ExprParser p = new ExprParser(t.text(), t.line());
        e = p.parseExpression();
        p.expectEnd();
        return e;
    }

    private String expectBlock(Set<String> kws) {
        if (pos >= tokens.size()) throw new JinjaTemplate.JinjaException("template ended, expected {% " + String.join(" or ", kws) + " %}");
        JinjaLexer.Token t = tokens.get(pos);
        String kw = keyword(t.text());
        if (t.kind() != JinjaLexer.Kind.BLOCK || !kws.contains(kw)) throw new JinjaTemplate.JinjaException("line " + t.line() + ": expected {% " + String.join(" or ", kws) + " %}");
        return kw;
    }

    private Node statement(String kw, JinjaLexer.Token t) {
        String rest = t.text().substring(kw.length()).strip();
        int line = t.line();
        switch (kw) {
            case "if" -> {
                List<Expr> conds = new ArrayList<>();
                List<List<Node>> bodies = new ArrayList<>();
                conds.add(parseExpr(rest, line));
                bodies.add(parseBody(Set.of("elif", "else", "endif")));
                List<Node> elseBody = List.of();
                while (true) {
                    String k = expectBlock(Set.of("elif", "else", "endif"));
                    JinjaLexer.Token b = tokens.get(pos++);
                    if (k.equals("elif")) {
                        conds.add(parseExpr(b.text().substring(4).strip(), b.line()));
                        bodies.add(parseBody(Set.of("elif", "else", "endif")));
                    } else if (k.equals("else")) {
                        elseBody = parseBody(Set.of("endif"));
                        expectBlock(Set.of("endif"));
                        pos++;
                        break;
                    } else {
                        break;
                    }
                }
                return new JinjaNodes.If(conds, bodies, elseBody);
            }
            case "for" -> {
                ExprParser p = new ExprParser(rest, line);
                List<String> targets = new ArrayList<>();
                targets.add(p.name());
                while (p.accept(",")) targets.add(p.name());
                p.expectWord("in");
                Expr iter = p.parseOr(); // no ternary here: a trailing "if" is the loop filter
                Expr filter = null;
                if (p.acceptWord("if")) filter = p.parseExpression();
                p.acceptWord("recursive");
                p.expectEnd();
                List<Node> body = parseBody(Set.of("else", "endfor"));
                List<Node> elseBody = List.of();
                if (expectBlock(Set.of("else", "endfor")).equals("else")) {
                    pos++;
                    elseBody = parseBody(Set.of("endfor"));
                    expectBlock(Set.of("endfor"));
                }
                pos++;
                return new JinjaNodes.For(targets, iter, filter, body, elseBody);
            }
            case "set" -> {
                ExprParser p = new ExprParser(rest, line);
                String name = p.name();
                String attr = null;
                List<String> more = new ArrayList<>();
                if (p.accept(".")) attr = p.name();
                while (p.accept(",")) more.add(p.name());
                if (!p.accept("=")) {
                    p.expectEnd();
                    List<Node> body = parseBody(Set.of("endset"));
                    expectBlock(Set.of("endset"));
                    pos++;
                    return new JinjaNodes.SetBlock(name, body);
                }
                Expr value = p.parseExpression();
                List<Expr> values = new ArrayList<>();
                values.add(value);
                while (p.accept(",")) values.add(p.parseExpression());
                p.expectEnd();
                if (!more.isEmpty()) {
                    more.add(0, name);
                    Expr tuple = values.size() == 1 ? value : new JinjaNodes.ListLit(values);
                    return new JinjaNodes.SetMany(more, tuple);
                }
                return new JinjaNodes.Set(name, attr, values.size() == 1 ? value : new JinjaNodes.ListLit(values));
            }
            case "macro" -> {
                ExprParser p = new ExprParser(rest, line);
                String name = p.name();
                p.expect("(");
                List<String> params = new ArrayList<>();
                Map<String, Expr> defaults = new LinkedHashMap<>();
                if (!p.accept(")")) {
                    do {
                        String param = p.name();
                        params.add(param);
                        if (p.accept("=")) defaults.put(param, p.parseExpression());
                    } while (p.accept(","));
                    p.expect(")");
                }
                p.expectEnd();
                List<Node> body = parseBody(Set.of("endmacro"));
                expectBlock(Set.of("endmacro"));
                pos++;
                return new JinjaNodes.Macro(name, params, defaults, body);
            }
            case "break" -> { return new JinjaNodes.Break(); }
            case "continue" -> { return new JinjaNodes.Continue(); }
            case "generation" -> {
                // transformers' marker for assistant-token masks: renders its body unchanged.
                List<Node> body = parseBody(Set.of("endgeneration"));
                expectBlock(Set.of("endgeneration"));
                pos++;
                return new JinjaNodes.Group(body);
            }
            default -> throw new JinjaTemplate.JinjaException("line " + line + ": unsupported statement {% " + t.text() + " %}");
        }
    }

    private static Expr parseExpr(String src, int line) {
        ExprParser p = new ExprParser(src, line);
        Expr e = p.parseExpression();
        p.expectEnd();
        return e;
    }

    // ------------------------------------------------------------------ expressions

    static final class ExprParser {
        private final List<String> toks = new ArrayList<>();
        private final List<Character> kinds = new ArrayList<>(); // 'n' name, 's' string, 'd' number, 'o' operator
        private final int line;
        private int p;

        ExprParser(String src, int line) {
            this.line = line;
            int i = 0, n = src.length();
            while (i < n) {
                char c = src.charAt(i);
                if (Character.isWhitespace(c)) { i++; continue; }
                if (Character.isLetter(c) || c == '_') {
                    int j = i;
                    while (j < n && (Character.isLetterOrDigit(src.charAt(j)) || src.charAt(j) == '_')) j++;
                    add(src.substring(i, j), 'n');
                    i = j;
                } else if (Character.isDigit(c)) {
                    int j = i;
                    while (j < n && (Character.isDigit(src.charAt(j)) || src.charAt(j) == '_')) j++;
                    if (j + 1 < n && src.charAt(j) == '.' && Character.isDigit(src.charAt(j + 1))) {
                        j++;
                        while (j < n && Character.isDigit(src.charAt(j))) j++;
                    }
                    add(src.substring(i, j).replace("_", ""), 'd');
                    i = j;
                } else if (c == '\'' || c == '"') {
                    StringBuilder sb = new StringBuilder();
                    int j = i + 1;
                    while (j < n && src.charAt(j) != c) {
                        char d = src.charAt(j);
                        if (d == '\\' && j + 1 < n) {
                            char e = src.charAt(++j);
                            switch (e) {
                                case 'n' -> sb.append('\n');
                                case 't' -> sb.append('\t');
                                case 'r' -> sb.append('\r');
                                case '\\' -> sb.append('\\');
                                case '\'' -> sb.append('\'');
                                case '"' -> sb.append('"');
                                case 'u' -> { sb.append((char) Integer.parseInt(src.substring(j + 1, j + 5), 16)); j += 4; }
                                default -> sb.append('\\').append(e);
                            }
                        } else {
                            sb.append(d);
                        }
                        j++;
                    }
                    if (j >= n) throw err("unterminated string");
                    add(sb.toString(), 's');
                    i = j + 1;
                } else {
                    String two = i + 1 < n ? src.substring(i, i + 2) : "";
                    if (Set.of("==", "!=", "<=", ">=", "//", "**").contains(two)) { add(two, 'o'); i += 2; }
                    else if ("+-*/%~<>()[]{},.|:=".indexOf(c) >= 0) { add(String.valueOf(c), 'o'); i++; }
                    else throw err("unexpected character '" + c + "'");
                }
            }
        }

        private void add(String t, char k) { toks.add(t); kinds.add(k); }

        private JinjaTemplate.JinjaException err(String m) { return new JinjaTemplate.JinjaException("line " + line + ": " + m); }

        private boolean isOp(String s) { return p < toks.size() && kinds.get(p) == 'o' && toks.get(p).equals(s); }
        private boolean isWord(String s) { return p < toks.size() && kinds.get(p) == 'n' && toks.get(p).equals(s); }

        boolean accept(String op) { if (isOp(op)) { p++; return true; } return false; }
        boolean acceptWord(String w) { if (isWord(w)) { p++; return true; } return false; }
        void expect(String op) { if (!accept(op)) throw err("expected '" + op + "'" + (p < toks.size() ? " before '" + toks.get(p) + "'" : " at end")); }
        void expectWord(String w) { if (!acceptWord(w)) throw err("expected '" + w + "'"); }
        void expectEnd() { if (p < toks.size()) throw err("unexpected '" + toks.get(p) + "'"); }

        String name() {
            if (p < toks.size() && kinds.get(p) == 'n') return toks.get(p++);
            throw err("expected a name" + (p < toks.size() ? ", found '" + toks.get(p) + "'" : ""));
        }

        Expr parseExpression() {
            Expr e = parseOr();
            if (isWord("if")) {
                p++;
                Expr cond = parseOr();
                Expr otherwise = acceptWord("else") ? parseExpression() : new JinjaNodes.Literal(JinjaRuntime.UNDEFINED);
                return new JinjaNodes.Ternary(cond, e, otherwise);
            }
            return e;
        }

        Expr parseOr() {
            Expr e = parseAnd();
            while (acceptWord("or")) e = new JinjaNodes.Or(e, parseAnd());
            return e;
        }

        private Expr parseAnd() {
            Expr e = parseNot();
            while (acceptWord("and")) e = new JinjaNodes.And(e, parseNot());
            return e;
        }

        private Expr parseNot() {
            if (acceptWord("not")) return new JinjaNodes.Not(parseNot());
            return parseCompare();
        }

        private Expr parseCompare() {
            Expr e = parseConcat();
            while (true) {
                if (p < toks.size() && kinds.get(p) == 'o' && Set.of("==", "!=", "<", ">", "<=", ">=").contains(toks.get(p))) {
                    String op = toks.get(p++);
                    e = new JinjaNodes.Compare(op, e, parseConcat());
                } else if (isWord("in")) {
                    p++;
                    e = new JinjaNodes.In(e, parseConcat(), false);
                } else if (isWord("not") && p + 1 < toks.size() && toks.get(p + 1).equals("in")) {
                    p += 2;
                    e = new JinjaNodes.In(e, parseConcat(), true);
                } else if (isWord("is")) {
                    p++;
                    boolean negate = acceptWord("not");
                    String test = name();
                    List<Expr> args = new ArrayList<>();
                    if (accept("(")) {
                        if (!accept(")")) { do args.add(parseExpression()); while (accept(",")); expect(")"); }
                    } else if (p < toks.size() && (kinds.get(p) == 's' || kinds.get(p) == 'd' || (kinds.get(p) == 'n' && !Set.of("and", "or", "else", "if", "not", "is", "in").contains(toks.get(p))))) {
                        args.add(parsePrimaryWithPostfix());
                    }
                    e = new JinjaNodes.Test(e, test, args, negate);
                } else {
                    return e;
                }
            }
        }

        private Expr parseConcat() {
            Expr e = parseAdd();
            while (accept("~")) e = new JinjaNodes.Concat(e, parseAdd());
            return e;
        }

        private Expr parseAdd() {
            Expr e = parseMul();
            while (true) {
                if (accept("+")) e = new JinjaNodes.Arith("+", e, parseMul());
                else if (accept("-")) e = new JinjaNodes.Arith("-", e, parseMul());
                else return e;
            }
        }

        private Expr parseMul() {
            Expr e = parseUnary();
            while (true) {
                String op = null;
                for (String o : new String[] {"*", "//", "/", "%"}) if (isOp(o)) { op = o; break; }
                if (op == null) return e;
                p++;
                e = new JinjaNodes.Arith(op, e, parseUnary());
            }
        }

        private Expr parseUnary() {
            if (accept("-")) return new JinjaNodes.Arith("-", new JinjaNodes.Literal(0L), parseUnary());
            if (accept("+")) return parseUnary();
            return parseFiltered();
        }

        private Expr parseFiltered() {
            Expr e = parsePrimaryWithPostfix();
            while (accept("|")) {
                String f = name();
                List<Expr> args = new ArrayList<>();
                Map<String, Expr> kwargs = new LinkedHashMap<>();
                if (accept("(")) parseArgs(args, kwargs);
                e = new JinjaNodes.Filter(e, f, args, kwargs);
            }
            return e;
        }

        private void parseArgs(List<Expr> args, Map<String, Expr> kwargs) {
            if (accept(")")) return;
            do {
                if (p + 1 < toks.size() && kinds.get(p) == 'n' && toks.get(p + 1).equals("=") && kinds.get(p + 1) == 'o') {
                    String k = toks.get(p);
                    p += 2;
                    kwargs.put(k, parseExpression());
                } else {
                    args.add(parseExpression());
                }
            } while (accept(","));
            expect(")");
        }

        private Expr parsePrimaryWithPostfix() {
            Expr e = parsePrimary();
            while (true) {
                if (accept(".")) {
                    String attr = name();
                    e = new JinjaNodes.Attr(e, attr);
                } else if (accept("[")) {
                    Expr a = null, b = null, step = null;
                    boolean slice = false;
                    if (!isOp(":")) a = parseExpression();
                    if (accept(":")) {
                        slice = true;
                        if (!isOp("]") && !isOp(":")) b = parseExpression();
                        if (accept(":") && !isOp("]")) step = parseExpression();
                    }
                    expect("]");
                    e = slice ? new JinjaNodes.Slice(e, a, b, step) : new JinjaNodes.Index(e, a);
                } else if (accept("(")) {
                    List<Expr> args = new ArrayList<>();
                    Map<String, Expr> kwargs = new LinkedHashMap<>();
                    parseArgs(args, kwargs);
                    e = new JinjaNodes.Call(e, args, kwargs);
                } else {
                    return e;
                }
            }
        }

        private Expr parsePrimary() {
            if (p >= toks.size()) throw err("expression ended unexpectedly");
            String t = toks.get(p);
            char k = kinds.get(p);
            p++;
            switch (k) {
                case 's' -> {
                    StringBuilder sb = new StringBuilder(t);
                    while (p < toks.size() && kinds.get(p) == 's') sb.append(toks.get(p++)); // adjacent literals concatenate
                    return new JinjaNodes.Literal(sb.toString());
                }
                case 'd' -> { return new JinjaNodes.Literal(t.contains(".") ? (Object) Double.parseDouble(t) : (Object) Long.parseLong(t)); }
                case 'n' -> {
                    return switch (t) {
                        case "true", "True" -> new JinjaNodes.Literal(Boolean.TRUE);
                        case "false", "False" -> new JinjaNodes.Literal(Boolean.FALSE);
                        case "none", "None" -> new JinjaNodes.Literal(null);
                        default -> new JinjaNodes.Var(t);
                    };
                }
                default -> {
                    switch (t) {
                        case "(" -> {
                            if (accept(")")) return new JinjaNodes.ListLit(List.of());
                            Expr e = parseExpression();
                            if (accept(",")) {
                                List<Expr> items = new ArrayList<>();
                                items.add(e);
                                if (!isOp(")")) { do items.add(parseExpression()); while (accept(",") && !isOp(")")); }
                                expect(")");
                                return new JinjaNodes.ListLit(items);
                            }
                            expect(")");
                            return e;
                        }
                        case "[" -> {
                            List<Expr> items = new ArrayList<>();
                            if (!accept("]")) { do { if (isOp("]")) break; items.add(parseExpression()); } while (accept(",")); expect("]"); }
                            return new JinjaNodes.ListLit(items);
                        }
                        case "{" -> {
                            List<Expr> keys = new ArrayList<>(), values = new ArrayList<>();
                            if (!accept("}")) {
                                do {
                                    if (isOp("}")) break;
                                    keys.add(parseExpression());
                                    expect(":");
                                    values.add(parseExpression());
                                } while (accept(","));
                                expect("}");
                            }
                            return new JinjaNodes.DictLit(keys, values);
                        }
                        default -> throw err("unexpected '" + t + "'");
                    }
                }
            }
        }
    }
}
