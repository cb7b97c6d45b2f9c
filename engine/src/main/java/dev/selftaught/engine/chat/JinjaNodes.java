package dev.selftaught.engine.chat;

import dev.selftaught.engine.chat.JinjaRuntime.Scope;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Template statement nodes and expression nodes, each evaluating itself against a scope. */
final class JinjaNodes {
    private JinjaNodes() {}

    interface Node { void render(Scope s, StringBuilder out); }

    interface Expr { Object eval(Scope s); }

    static final class BreakSignal extends RuntimeException { BreakSignal() { super(null, null, false, false); } }
    static final class ContinueSignal extends RuntimeException { ContinueSignal() { super(null, null, false, false); } }

    static void renderAll(List<Node> nodes, Scope s, StringBuilder out) { for (Node n : nodes) n.render(s, out); }

    // ---------------------------------------------------------------- statements

    record Text(String text) implements Node { public void render(Scope s, StringBuilder out) { out.append(text); } }

    record Output(Expr e) implements Node { public void render(Scope s, StringBuilder out) { out.append(JinjaRuntime.str(e.eval(s))); } }

    record Group(List<Node> body) implements Node { public void render(Scope s, StringBuilder out) { renderAll(body, s, out); } }

    record If(List<Expr> conds, List<List<Node>> bodies, List<Node> elseBody) implements Node {
        public void render(Scope s, StringBuilder out) {
            for (int i = 0; i < conds.size(); i++) {
                if (JinjaRuntime.truthy(conds.get(i).eval(s))) { renderAll(bodies.get(i), s, out); return; }
            }
            renderAll(elseBody, s, out);
        }
    }

    record For(List<String> targets, Expr iter, Expr filter, List<Node> body, List<Node> elseBody) implements Node {
        public void render(Scope s, StringBuilder out) {
            List<Object> items = JinjaRuntime.iterate(iter.eval(s));
            if (filter != null) {
                List<Object> kept = new ArrayList<>();
                for (Object item : items) {
                    Scope f = new Scope(s);
                    bind(f, item);
                    if (JinjaRuntime.truthy(filter.eval(f))) kept.add(item);
                }
                items = kept;
            }
            if (items.isEmpty()) { renderAll(elseBody, s, out); return; }
            int n = items.size();
            for (int i = 0; i < n; i++) {
                Scope inner = new Scope(s);
                bind(inner, items.get(i));
                Map<String, Object> loop = new LinkedHashMap<>();
                loop.put("index", (long) i + 1);
                loop.put("index0", (long) i);
                loop.put("revindex", (long) (n - i));
                loop.put("revindex0", (long) (n - i - 1));
                loop.put("first", i == 0);
                loop.put("last", i == n - 1);
                loop.put("length", (long) n);
                loop.put("previtem", i > 0 ? items.get(i - 1) : JinjaRuntime.UNDEFINED);
                loop.put("nextitem", i + 1 < n ? items.get(i + 1) : JinjaRuntime.UNDEFINED);
                inner.set("loop", loop);
                try {
                    renderAll(body, inner, out);
                } catch (ContinueSignal c) {
                    // next item
                } catch (BreakSignal b) {
                    break;
                }
            }
        }

        private void bind(Scope sc, Object item) {
            if (targets.size() == 1) { sc.set(targets.get(0), item); return; }
            List<Object> parts = JinjaRuntime.iterate(item);
            if (parts.size() != targets.size()) throw new JinjaTemplate.JinjaException("cannot unpack " + parts.size() + " values into " + targets);
            for (int i = 0; i < targets.size(); i++) sc.set(targets.get(i), parts.get(i));
        }
    }

    record Set(String name, String attr, Expr value) implements Node {
        @SuppressWarnings("unchecked")
        public void render(Scope s, StringBuilder out) {
            Object v = value.eval(s);
            if (attr == null) { s.set(name, v); return; }
            Object target = s.get(name);
            if (!(target instanceof JinjaRuntime.Namespace ns)) throw new JinjaTemplate.JinjaException("cannot set attribute '" + attr + "' of " + name + " (only namespace() objects)");
            ns.values().put(attr, v);
        }
    }

    record SetMany(List<String> names, Expr value) implements Node {
        public void render(Scope s, StringBuilder out) {
            List<Object> parts = JinjaRuntime.iterate(value.eval(s));
            if (parts.size() != names.size()) throw new JinjaTemplate.JinjaException("cannot unpack " + parts.size() + " values into " + names);
            for (int i = 0; i < names.size(); i++) s.set(names.get(i), parts.get(i));
        }
    }

    record SetBlock(String name, List<Node> body) implements Node {
        public void render(Scope s, StringBuilder out) {
            StringBuilder b = new StringBuilder();
            renderAll(body, s, b);
            s.set(name, b.toString());
        }
    }

    record Macro(String name, List<String> params, Map<String, Expr> defaults, List<Node> body) implements Node {
        public void render(Scope s, StringBuilder out) {
            s.set(name, (JinjaRuntime.Callable) (args, kwargs) -> {
                Scope inner = new Scope(s);
                for (int i = 0; i < params.size(); i++) {
                    String p = params.get(i);
                    Object v;
                    if (i < args.size()) v = args.get(i);
                    else if (kwargs.containsKey(p)) v = kwargs.get(p);
                    else if (defaults.containsKey(p)) v = defaults.get(p).eval(s);
                    else v = JinjaRuntime.UNDEFINED;
                    inner.set(p, v);
                }
                StringBuilder b = new StringBuilder();
                renderAll(body, inner, b);
                return b.toString();
            });
        }
    }

    record Break() implements Node { public void render(Scope s, StringBuilder out) { throw new BreakSignal(); } }

    record Continue() implements Node { public void render(Scope s, StringBuilder out) { throw new ContinueSignal(); } }

    // ---------------------------------------------------------------- expressions

    record Literal(Object value) implements Expr { public Object eval(Scope s) { return value; } }

    record Var(String name) implements Expr { public Object eval(Scope s) { return s.get(name); } }

    record ListLit(List<Expr> items) implements Expr {
        public Object eval(Scope s) {
            List<Object> out = new ArrayList<>();
            for (Expr e : items) out.add(e.eval(s));
            return out;
        }
    }

    record DictLit(List<Expr> keys, List<Expr> values) implements Expr {
        public Object eval(Scope s) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) m.put(JinjaRuntime.str(keys.get(i).eval(s)), values.get(i).eval(s));
            return m;
        }
    }

    record Attr(Expr target, String name) implements Expr {
        public Object eval(Scope s) { return JinjaRuntime.attribute(target.eval(s), name); }
    }

    record Index(Expr target, Expr key) implements Expr {
        public Object eval(Scope s) { return JinjaRuntime.index(target.eval(s), key.eval(s)); }
    }

    record Slice(Expr target, Expr start, Expr stop, Expr step) implements Expr {
        public Object eval(Scope s) {
            return JinjaRuntime.slice(target.eval(s), start == null ? null : start.eval(s), stop == null ? null : stop.eval(s), step == null ? null : step.eval(s));
        }
    }

    record Call(Expr fn, List<Expr> args, Map<String, Expr> kwargs) implements Expr {
        public Object eval(Scope s) {
            Object f = fn.eval(s);
            List<Object> a = new ArrayList<>();
            for (Expr e : args) a.add(e.eval(s));
            Map<String, Object> k = new LinkedHashMap<>();
            for (Map.Entry<String, Expr> e : kwargs.entrySet()) k.put(e.getKey(), e.getValue().eval(s));
            if (f instanceof JinjaRuntime.Callable c) return c.call(a, k);
            throw new JinjaTemplate.JinjaException("'" + describe(fn) + "' is not callable");
        }

        private static String describe(Expr e) {
            if (e instanceof Var v) return v.name();
            if (e instanceof Attr a) return describe(a.target()) + "." + a.name();
            return "expression";
        }
    }

    record Filter(Expr target, String name, List<Expr> args, Map<String, Expr> kwargs) implements Expr {
        public Object eval(Scope s) {
            List<Object> a = new ArrayList<>();
            for (Expr e : args) a.add(e.eval(s));
            Map<String, Object> k = new LinkedHashMap<>();
            for (Map.Entry<String, Expr> e : kwargs.entrySet()) k.put(e.getKey(), e.getValue().eval(s));
            return JinjaRuntime.filter(name, target.eval(s), a, k);
        }
    }

    record Test(Expr target, String name, List<Expr> args, boolean negate) implements Expr {
        public Object eval(Scope s) {
            List<Object> a = new ArrayList<>();
            for (Expr e : args) a.add(e.eval(s));
            return JinjaRuntime.test(name, target.eval(s), a) != negate;
        }
    }

    record Ternary(Expr cond, Expr then, Expr otherwise) implements Expr {
        public Object eval(Scope s) { return JinjaRuntime.truthy(cond.eval(s)) ? then.eval(s) : otherwise.eval(s); }
    }

    record Or(Expr a, Expr b) implements Expr {
        public Object eval(Scope s) { Object x = a.eval(s); return JinjaRuntime.truthy(x) ? x : b.eval(s); }
    }

    record And(Expr a, Expr b) implements Expr {
        public Object eval(Scope s) { Object x = a.eval(s); return JinjaRuntime.truthy(x) ? b.eval(s) : x; }
    }

    record Not(Expr a) implements Expr { public Object eval(Scope s) { return !JinjaRuntime.truthy(a.eval(s)); } }

    record Compare(String op, Expr a, Expr b) implements Expr {
        public Object eval(Scope s) { return JinjaRuntime.compare(op, a.eval(s), b.eval(s)); }
    }

    record In(Expr item, Expr container, boolean negate) implements Expr {
        public Object eval(Scope s) { return JinjaRuntime.contains(container.eval(s), item.eval(s)) != negate; }
    }

    record Concat(Expr a, Expr b) implements Expr {
        public Object eval(Scope s) { return JinjaRuntime.str(a.eval(s)) + JinjaRuntime.str(b.eval(s)); }
    }

    record Arith(String op, Expr a, Expr b) implements Expr {
        public Object eval(Scope s) { return JinjaRuntime.arith(op, a.eval(s), b.eval(s)); }
    }
}
