package dev.selftaught.engine.chat;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Values, scopes, filters, tests and globals of the Jinja subset, with Python/Jinja semantics. */
final class JinjaRuntime {
    private JinjaRuntime() {}

    /** Jinja's undefined: falsy, renders as "", attributes of it are undefined too. */
    static final Object UNDEFINED = new Object() { @Override public String toString() { return ""; } };

    /** A function value (globals, macros, bound methods). */
    interface Callable { Object call(List<Object> args, Map<String, Object> kwargs); }

    /** {@code namespace(...)}: the one mutable object templates use across loop scopes. */
    record Namespace(Map<String, Object> values) {}

    static final class Scope {
        private final Scope parent;
        private final Map<String, Object> vars = new HashMap<>();

        Scope(Scope parent) { this.parent = parent; }

        Object get(String name) {
            for (Scope s = this; s != null; s = s.parent) if (s.vars.containsKey(name)) return s.vars.get(name);
            return UNDEFINED;
        }

        void set(String name, Object value) { vars.put(name, value); }
    }

    static void installGlobals(Scope s) {
        s.set("raise_exception", (Callable) (a, k) -> { throw new JinjaTemplate.JinjaException("template error: " + (a.isEmpty() ? "" : str(a.get(0)))); });
        s.set("namespace", (Callable) (a, k) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            if (!a.isEmpty() && a.get(0) instanceof Map<?, ?> init) init.forEach((key, v) -> m.put(String.valueOf(key), v));
            m.putAll(k);
            return new Namespace(m);
        });
        s.set("range", (Callable) (a, k) -> {
            long start = 0, stop, step = 1;
            if (a.size() == 1) stop = num(a.get(0)).longValue();
            else { start = num(a.get(0)).longValue(); stop = num(a.get(1)).longValue(); if (a.size() > 2) step = num(a.get(2)).longValue(); }
            if (step == 0) throw new JinjaTemplate.JinjaException("range() step must not be zero");
            List<Object> out = new ArrayList<>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) out.add(i);
            return out;
        });
        s.set("dict", (Callable) (a, k) -> new LinkedHashMap<>(k));
        s.set("strftime_now", (Callable) (a, k) -> strftime(str(a.get(0)), LocalDateTime.now()));
    }

    /** Python strftime for the directives chat templates use. */
    static String strftime(String fmt, LocalDateTime t) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) { b.append(c); continue; }
            char d = fmt.charAt(++i);
            String p = switch (d) {
                case 'd' -> "dd"; case 'm' -> "MM"; case 'Y' -> "yyyy"; case 'y' -> "yy"; case 'b' -> "MMM"; case 'B' -> "MMMM";
                case 'H' -> "HH"; case 'M' -> "mm"; case 'S' -> "ss"; case 'a' -> "EEE"; case 'A' -> "EEEE"; case 'j' -> "DDD";
                default -> null;
            };
            if (d == '%') b.append('%');
            else if (p == null) b.append('%').append(d);
            else b.append(DateTimeFormatter.ofPattern(p, Locale.ENGLISH).format(t));
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- conversions

    static boolean truthy(Object v) {
        if (v == null || v == UNDEFINED) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof Number n) return n.doubleValue() != 0;
        if (v instanceof String s) return !s.isEmpty();
        if (v instanceof List<?> l) return !l.isEmpty();
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }

    static String str(Object v) {
        if (v == UNDEFINED) return "";
        if (v instanceof String s) return s;
        return repr(v, false);
    }

    /** Python repr (strings quoted) used inside lists and dicts; top-level strings print raw. */
    static String repr(Object v, boolean quoteStrings) {
        if (v == null) return "None";
        if (v == UNDEFINED) return "";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof Double d) {
            if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e16) return String.format(Locale.ROOT, "%.1f", d);
            return Double.toString(d);
        }
        if (v instanceof Number n) return n.toString();
        if (v instanceof String s) return quoteStrings ? "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'" : s;
        if (v instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) { if (i > 0) b.append(", "); b.append(repr(l.get(i), true)); }
            return b.append(']').toString();
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) b.append(", ");
                first = false;
                b.append(repr(e.getKey(), true)).append(": ").append(repr(e.getValue(), true));
            }
            return b.append('}').toString();
        }
        if (v instanceof Namespace ns) return "<Namespace " + repr(ns.values(), true) + ">";
        return String.valueOf(v);
    }

    static Number num(Object v) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Number n) return n.doubleValue();
        if (v instanceof Boolean b) return b ? 1L : 0L;
        throw new JinjaTemplate.JinjaException("expected a number, got " + repr(v, true));
    }

    static boolean isInt(Object v) { return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte; }

    @SuppressWarnings("unchecked")
    static List<Object> iterate(Object v) {
        if (v == null || v == UNDEFINED) return List.of();
        if (v instanceof List<?> l) return (List<Object>) l;
        if (v instanceof Map<?, ?> m) return new ArrayList<>(m.keySet());
        if (v instanceof String s) {
            List<Object> out = new ArrayList<>();
            s.codePoints().forEach(cp -> out.add(Character.toString(cp)));
            return out;
        }
        if (v instanceof Object[] a) return List.of(a);
        throw new JinjaTemplate.JinjaException("cannot iterate over " + repr(v, true));
    }

    // ---------------------------------------------------------------- access

    static Object attribute(Object target, String name) {
        if (target instanceof Map<?, ?> m) {
            if (m.containsKey(name)) return m.get(name);
            Object method = dictMethod(m, name);
            return method != null ? method : UNDEFINED;
        }
        if (target instanceof Namespace ns) return ns.values().containsKey(name) ? ns.values().get(name) : UNDEFINED;
        if (target instanceof String s) {
            Object m = stringMethod(s, name);
            if (m != null) return m;
        }
        if (target instanceof List<?> l && name.equals("append")) {
            return (Callable) (a, k) -> { @SuppressWarnings("unchecked") List<Object> lo = (List<Object>) l; lo.add(a.get(0)); return UNDEFINED; };
        }
        return UNDEFINED;
    }

    static Object index(Object target, Object key) {
        if (target instanceof Map<?, ?> m) {
            Object k = key instanceof String ? key : str(key);
            return m.containsKey(k) ? m.get(k) : UNDEFINED;
        }
        if (target instanceof Namespace ns) return ns.values().getOrDefault(str(key), UNDEFINED);
        if (target instanceof List<?> l && isInt(key)) {
            long i = num(key).longValue();
            if (i < 0) i += l.size();
            return i >= 0 && i < l.size() ? l.get((int) i) : UNDEFINED;
        }
        if (target instanceof String s && isInt(key)) {
            List<Object> cps = iterate(s);
            long i = num(key).longValue();
            if (i < 0) i += cps.size();
            return i >= 0 && i < cps.size() ? cps.get((int) i) : UNDEFINED;
        }
        if (target instanceof String s && key instanceof String k) return attribute(s, k);
        return UNDEFINED;
    }

    static Object slice(Object target, Object start, Object stop, Object step) {
        boolean isString = target instanceof String;
        List<Object> items = iterate(target);
        int n = items.size();
        long st = step == null ? 1 : num(step).longValue();
        if (st == 0) throw new JinjaTemplate.JinjaException("slice step must not be zero");
        List<Object> out = new ArrayList<>();
        if (st > 0) {
            long a = start == null ? 0 : clamp(num(start).longValue(), n, false);
            long b = stop == null ? n : clamp(num(stop).longValue(), n, false);
            for (long i = a; i < b; i += st) out.add(items.get((int) i));
        } else {
            long a = start == null ? n - 1 : clamp(num(start).longValue(), n, true);
            long b = stop == null ? -1 : clamp(num(stop).longValue(), n, true);
            for (long i = a; i > b; i += st) out.add(items.get((int) i));
        }
        if (isString) {
            StringBuilder sb = new StringBuilder();
            for (Object o : out) sb.append(o);
            return sb.toString();
        }
        return out;
    }

    private static long clamp(long i, int n, boolean backwards) {
        if (i < 0) i += n;
        if (backwards) return Math.max(-1, Math.min(i, n - 1));
        return Math.max(0, Math.min(i, n));
    }

    private static Object dictMethod(Map<?, ?> m, String name) {
        return switch (name) {
            case "get" -> (Callable) (a, k) -> m.containsKey(a.get(0)) ? m.get(a.get(0)) : (a.size() > 1 ? a.get(1) : null);
            case "items" -> (Callable) (a, k) -> {
                List<Object> out = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.add(new ArrayList<>(List.of(e.getKey(), e.getValue() == null ? NULL_MARK : e.getValue())));
                return unmark(out);
            };
            case "keys" -> (Callable) (a, k) -> new ArrayList<Object>(m.keySet());
            case "values" -> (Callable) (a, k) -> new ArrayList<Object>(m.values());
            default -> null;
        };
    }

    private static final Object NULL_MARK = new Object();

    private static List<Object> unmark(List<Object> pairs) {
        for (Object p : pairs) {
            @SuppressWarnings("unchecked") List<Object> l = (List<Object>) p;
            if (l.get(1) == NULL_MARK) l.set(1, null);
        }
        return pairs;
    }

    private static Object stringMethod(String s, String name) {
        return switch (name) {
            case "strip" -> (Callable) (a, k) -> a.isEmpty() ? s.strip() : stripChars(s, str(a.get(0)), true, true);
            case "lstrip" -> (Callable) (a, k) -> a.isEmpty() ? s.stripLeading() : stripChars(s, str(a.get(0)), true, false);
            case "rstrip" -> (Callable) (a, k) -> a.isEmpty() ? s.stripTrailing() : stripChars(s, str(a.get(0)), false, true);
            case "upper" -> (Callable) (a, k) -> s.toUpperCase(Locale.ROOT);
            case "lower" -> (Callable) (a, k) -> s.toLowerCase(Locale.ROOT);
            case "title" -> (Callable) (a, k) -> title(s);
            case "capitalize" -> (Callable) (a, k) -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "startswith" -> (Callable) (a, k) -> anyOf(a.get(0), p -> s.startsWith(p));
            case "endswith" -> (Callable) (a, k) -> anyOf(a.get(0), p -> s.endsWith(p));
            case "replace" -> (Callable) (a, k) -> s.replace(str(a.get(0)), str(a.get(1)));
            case "split" -> (Callable) (a, k) -> {
                List<Object> out = new ArrayList<>();
                if (a.isEmpty() || a.get(0) == null) { for (String p : s.strip().split("\\s+")) if (!p.isEmpty()) out.add(p); }
                else {
                    String sep = str(a.get(0));
                    int from = 0, at;
                    while ((at = s.indexOf(sep, from)) >= 0) { out.add(s.substring(from, at)); from = at + sep.length(); }
                    out.add(s.substring(from));
                }
                return out;
            };
            case "find" -> (Callable) (a, k) -> (long) s.indexOf(str(a.get(0)));
            case "count" -> (Callable) (a, k) -> { String p = str(a.get(0)); long c = 0; int i = 0; while (!p.isEmpty() && (i = s.indexOf(p, i)) >= 0) { c++; i += p.length(); } return c; };
            case "format" -> (Callable) (a, k) -> { String r = s; for (Object o : a) r = r.replaceFirst("\\{\\}", java.util.regex.Matcher.quoteReplacement(str(o))); return r; };
            default -> null;
        };
    }

    private static boolean anyOf(Object prefixes, java.util.function.Predicate<String> p) {
        if (prefixes instanceof List<?> l) { for (Object o : l) if (p.test(str(o))) return true; return false; }
        return p.test(str(prefixes));
    }

    private static String stripChars(String s, String chars, boolean left, boolean right) {
        int a = 0, b = s.length();
        while (left && a < b && chars.indexOf(s.charAt(a)) >= 0) a++;
        while (right && b > a && chars.indexOf(s.charAt(b - 1)) >= 0) b--;
        return s.substring(a, b);
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder();
        boolean start = true;
        for (char c : s.toCharArray()) {
            b.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetterOrDigit(c);
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- operators

    static boolean equal(Object a, Object b) {
        if (a == UNDEFINED || b == UNDEFINED) return a == b;
        if (a instanceof Number && b instanceof Number || a instanceof Boolean && b instanceof Number || a instanceof Number && b instanceof Boolean) {
            return num(a).doubleValue() == num(b).doubleValue();
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!equal(x.get(i), y.get(i))) return false;
            return true;
        }
        return java.util.Objects.equals(a, b);
    }

    static Object compare(String op, Object a, Object b) {
        switch (op) {
            case "==" -> { return equal(a, b); }
            case "!=" -> { return !equal(a, b); }
            default -> {
                int c;
                if (a instanceof String x && b instanceof String y) c = x.compareTo(y);
                else c = Double.compare(num(a).doubleValue(), num(b).doubleValue());
                return switch (op) { case "<" -> c < 0; case ">" -> c > 0; case "<=" -> c <= 0; default -> c >= 0; };
            }
        }
    }

    static boolean contains(Object container, Object item) {
        if (container instanceof String s) return s.contains(str(item));
        if (container instanceof Map<?, ?> m) return m.containsKey(item);
        if (container instanceof Namespace ns) return ns.values().containsKey(str(item));
        if (container == null || container == UNDEFINED) return false;
        for (Object o : iterate(container)) if (equal(o, item)) return true;
        return false;
    }

    static Object arith(String op, Object a, Object b) {
        if (op.equals("+")) {
            if (a instanceof String || b instanceof String) {
                if (!(a instanceof String) || !(b instanceof String)) throw new JinjaTemplate.JinjaException("cannot add " + repr(a, true) + " and " + repr(b, true));
                return (String) a + b;
            }
            if (a instanceof List<?> x && b instanceof List<?> y) { List<Object> out = new ArrayList<>(x); out.addAll(y); return out; }
        }
        if (op.equals("*") && a instanceof String s && isInt(b)) return s.repeat((int) Math.max(0, num(b).longValue()));
        if (op.equals("%") && a instanceof String) throw new JinjaTemplate.JinjaException("printf-style % formatting is not supported");
        Number x = num(a), y = num(b);
        boolean ints = isInt(x) && isInt(y);
        switch (op) {
            case "+": return ints ? (Object) (x.longValue() + y.longValue()) : (Object) (x.doubleValue() + y.doubleValue());
            case "-": return ints ? (Object) (x.longValue() - y.longValue()) : (Object) (x.doubleValue() - y.doubleValue());
            case "*": return ints ? (Object) (x.longValue() * y.longValue()) : (Object) (x.doubleValue() * y.doubleValue());
            case "/": return x.doubleValue() / y.doubleValue();
            case "//":
                if (ints) return Math.floorDiv(x.longValue(), y.longValue());
                return Math.floor(x.doubleValue() / y.doubleValue());
            case "%":
                if (ints) return Math.floorMod(x.longValue(), y.longValue());
                double m = x.doubleValue() % y.doubleValue();
                return m != 0 && (m < 0) != (y.doubleValue() < 0) ? m + y.doubleValue() : m;
            default: throw new JinjaTemplate.JinjaException("unknown operator " + op);
        }
    }

    // ---------------------------------------------------------------- filters and tests

    static Object filter(String name, Object v, List<Object> a, Map<String, Object> k) {
        switch (name) {
            case "trim": return a.isEmpty() ? str(v).strip() : stripChars(str(v), str(a.get(0)), true, true);
            case "length": case "count":
                if (v instanceof String s) return (long) s.codePointCount(0, s.length());
                if (v instanceof Map<?, ?> m) return (long) m.size();
                return (long) iterate(v).size();
            case "upper": return str(v).toUpperCase(Locale.ROOT);
            case "lower": return str(v).toLowerCase(Locale.ROOT);
            case "title": return title(str(v));
            case "capitalize": { String s = str(v); return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT); }
            case "string": return str(v);
            case "safe": case "escape": case "e": return v;
            case "int": try { return v instanceof Number n ? (Object) n.longValue() : (Object) (long) Double.parseDouble(str(v).strip()); } catch (NumberFormatException ex) { return a.isEmpty() ? 0L : a.get(0); }
            case "float": try { return v instanceof Number n ? (Object) n.doubleValue() : (Object) Double.parseDouble(str(v).strip()); } catch (NumberFormatException ex) { return a.isEmpty() ? 0.0 : a.get(0); }
            case "abs": { Number n = num(v); return isInt(n) ? (Object) Math.abs(n.longValue()) : (Object) Math.abs(n.doubleValue()); }
            case "round": {
                int digits = a.isEmpty() ? 0 : num(a.get(0)).intValue();
                double f = Math.pow(10, digits);
                return Math.round(num(v).doubleValue() * f) / f;
            }
            case "default": case "d": {
                boolean boolMode = a.size() > 1 && truthy(a.get(1)) || truthy(k.get("boolean"));
                Object dflt = a.isEmpty() ? "" : a.get(0);
                return v == UNDEFINED || (boolMode && !truthy(v)) ? dflt : v;
            }
            case "first": { List<Object> l = iterate(v); return l.isEmpty() ? UNDEFINED : l.get(0); }
            case "last": { List<Object> l = iterate(v); return l.isEmpty() ? UNDEFINED : l.get(l.size() - 1); }
            case "list": return new ArrayList<>(iterate(v));
            case "reverse": {
                if (v instanceof String s) return new StringBuilder(s).reverse().toString();
                List<Object> l = new ArrayList<>(iterate(v)); Collections.reverse(l); return l;
            }
            case "join": {
                String sep = a.isEmpty() ? str(k.getOrDefault("d", "")) : str(a.get(0));
                Object attr = k.get("attribute");
                StringBuilder b = new StringBuilder();
                boolean first = true;
                for (Object o : iterate(v)) {
                    if (!first) b.append(sep);
                    first = false;
                    b.append(str(attr == null ? o : attribute(o, str(attr))));
                }
                return b.toString();
            }
            case "replace": return str(v).replace(str(a.get(0)), str(a.get(1)));
            case "items": {
                if (!(v instanceof Map<?, ?> m)) return List.of();
                return ((Callable) dictMethod(m, "items")).call(List.of(), Map.of());
            }
            case "unique": return new ArrayList<>(new LinkedHashSet<>(iterate(v)));
            case "sort": {
                List<Object> l = new ArrayList<>(iterate(v));
                Object attr = k.get("attribute");
                l.sort((x, y) -> {
                    Object p = attr == null ? x : attribute(x, str(attr)), q = attr == null ? y : attribute(y, str(attr));
                    return (Boolean) compare("<", p, q) ? -1 : equal(p, q) ? 0 : 1;
                });
                if (truthy(k.get("reverse")) || (!a.isEmpty() && truthy(a.get(0)))) Collections.reverse(l);
                return l;
            }
            case "selectattr": case "rejectattr": {
                boolean select = name.equals("selectattr");
                String attr = str(a.get(0));
                List<Object> out = new ArrayList<>();
                for (Object o : iterate(v)) {
                    Object val = attribute(o, attr);
                    boolean ok = a.size() < 2 ? truthy(val) : test(str(a.get(1)), val, a.subList(2, a.size()));
                    if (ok == select) out.add(o);
                }
                return out;
            }
            case "select": case "reject": {
                boolean select = name.equals("select");
                List<Object> out = new ArrayList<>();
                for (Object o : iterate(v)) {
                    boolean ok = a.isEmpty() ? truthy(o) : test(str(a.get(0)), o, a.subList(1, a.size()));
                    if (ok == select) out.add(o);
                }
                return out;
            }
            case "map": {
                List<Object> out = new ArrayList<>();
                for (Object o : iterate(v)) {
                    if (k.containsKey("attribute")) {
                        Object r = attribute(o, str(k.get("attribute")));
                        out.add(r == UNDEFINED && k.containsKey("default") ? k.get("default") : r);
                    } else {
                        out.add(filter(str(a.get(0)), o, a.subList(1, a.size()), Map.of()));
                    }
                }
                return out;
            }
            case "tojson": {
                Object indent = k.containsKey("indent") ? k.get("indent") : a.isEmpty() ? null : a.get(0);
                StringBuilder b = new StringBuilder();
                json(v, indent == null ? -1 : num(indent).intValue(), 0, b);
                return b.toString();
            }
            case "indent": {
                int width = a.isEmpty() ? 4 : num(a.get(0)).intValue();
                boolean first = a.size() > 1 ? truthy(a.get(1)) : truthy(k.get("first"));
                String pad = " ".repeat(width);
                String s = str(v).replace("\n", "\n" + pad);
                return first ? pad + s : s;
            }
            default: throw new JinjaTemplate.JinjaException("unsupported filter '" + name + "'");
        }
    }

    static boolean test(String name, Object v, List<Object> a) {
        return switch (name) {
            case "defined" -> v != UNDEFINED;
            case "undefined" -> v == UNDEFINED;
            case "none" -> v == null;
            case "string" -> v instanceof String;
            case "number" -> v instanceof Number;
            case "integer" -> isInt(v);
            case "float" -> v instanceof Double || v instanceof Float;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "mapping" -> v instanceof Map || v instanceof Namespace;
            case "iterable" -> v instanceof List || v instanceof Map || v instanceof String;
            case "sequence" -> v instanceof List || v instanceof String || v instanceof Map;
            case "callable" -> v instanceof Callable;
            case "even" -> num(v).longValue() % 2 == 0;
            case "odd" -> num(v).longValue() % 2 != 0;
            case "lower" -> str(v).equals(str(v).toLowerCase(Locale.ROOT));
            case "upper" -> str(v).equals(str(v).toUpperCase(Locale.ROOT));
            case "equalto", "eq", "==", "sameas" -> equal(v, a.get(0));
            case "ne", "!=" -> !equal(v, a.get(0));
            case "in" -> contains(a.get(0), v);
            case "gt", ">" -> (Boolean) compare(">", v, a.get(0));
            case "ge", ">=" -> (Boolean) compare(">=", v, a.get(0));
            case "lt", "<" -> (Boolean) compare("<", v, a.get(0));
            case "le", "<=" -> (Boolean) compare("<=", v, a.get(0));
            default -> throw new JinjaTemplate.JinjaException("unsupported test '" + name + "'");
        };
    }

    /** json.dumps with Python's default separators (", " and ": "), non-ASCII kept. */
    static void json(Object v, int indent, int depth, StringBuilder b) {
        if (v == null || v == UNDEFINED) { b.append("null"); return; }
        if (v instanceof Boolean x) { b.append(x ? "true" : "false"); return; }
        if (v instanceof Number) { b.append(repr(v, false)); return; }
        if (v instanceof String s) { jsonString(s, b); return; }
        if (v instanceof Namespace ns) { json(ns.values(), indent, depth, b); return; }
        boolean list = v instanceof List;
        List<?> items = list ? (List<?>) v : null;
        Map<?, ?> map = list ? null : (v instanceof Map<?, ?> m ? m : null);
        if (items == null && map == null) { jsonString(str(v), b); return; }
        int size = list ? items.size() : map.size();
        b.append(list ? '[' : '{');
        if (size == 0) { b.append(list ? ']' : '}'); return; }
        int i = 0;
        Iterable<?> it = list ? items : map.entrySet();
        for (Object o : it) {
            if (i++ > 0) b.append(indent >= 0 ? "," : ", ");
            if (indent >= 0) b.append('\n').append(" ".repeat(indent * (depth + 1)));
            if (list) json(o, indent, depth + 1, b);
            else {
                Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
                jsonString(String.valueOf(e.getKey()), b);
                b.append(": ");
                json(e.getValue(), indent, depth + 1, b);
            }
        }
        if (indent >= 0) b.append('\n').append(" ".repeat(indent * depth));
        b.append(list ? ']' : '}');
    }

    private static void jsonString(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> { if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c); }
            }
        }
        b.append('"');
    }
}
