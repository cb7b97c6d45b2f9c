package dev.selftaught;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A layering table (package → the packages it may use directly) and a check of compiled classes
 * against it. Package names in the table are relative to {@code root}; a package belongs to the
 * longest row name that equals it or is its parent. "everything" allows any dependency.
 *
 * <p>Dependencies are read from each class file's constant pool with the JDK's class-file API:
 * class entries (calls, field accesses, casts, catches) and every type named in a descriptor or
 * generic signature (fields, methods, annotations), so a type used only in a signature counts.
 */
record Layering(String root, Map<String, List<String>> rows) {
    private static final Pattern HEADING = Pattern.compile("^`(\\w+)` \\(packages under `([\\w.]+)`\\)");
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([\\w.]+)`\\s*\\|(.*)\\|\\s*$");
    private static final Pattern NAME = Pattern.compile("`([\\w.]+)`");
    private static final Pattern DESCRIPTOR_TYPE = Pattern.compile("L([\\w/$]+)[;<]");
    static final String EVERYTHING = "everything";

    Layering {
        rows = Map.copyOf(rows);
    }

    /** Reads the table that follows the line "`MODULE` (packages under `ROOT`)" in the document. */
    static Layering fromDoc(Path doc, String module) throws IOException {
        List<String> lines = Files.readAllLines(doc);
        for (int i = 0; i < lines.size(); i++) {
            Matcher h = HEADING.matcher(lines.get(i));
            if (!h.find() || !h.group(1).equals(module)) continue;
            Map<String, List<String>> rows = new LinkedHashMap<>();
            int j = i + 1;
            while (j < lines.size() && !lines.get(j).startsWith("|")) j++;
            for (; j < lines.size() && lines.get(j).startsWith("|"); j++) {
                Matcher r = ROW.matcher(lines.get(j));
                if (!r.find()) continue; // header and separator rows
                String allowed = r.group(2).trim();
                List<String> names = new ArrayList<>();
                if (allowed.equals(EVERYTHING)) names.add(EVERYTHING);
                else if (!allowed.equals("nothing")) NAME.matcher(allowed).results().forEach(m -> names.add(m.group(1)));
                if (names.isEmpty() && !allowed.equals("nothing")) {
                    throw new IllegalStateException(doc + ":" + (j + 1) + ": cannot read the allowed packages '" + allowed + "'");
                }
                if (rows.put(r.group(1), names) != null) {
                    throw new IllegalStateException(doc + ":" + (j + 1) + ": package `" + r.group(1) + "` has two rows");
                }
            }
            return new Layering(h.group(2), rows);
        }
        throw new IllegalStateException(doc + ": no layering table for `" + module + "` (a line \"`" + module + "` (packages under `...`)\")");
    }

    /** Every dependency of the classes under {@code classes} that the table does not allow, sorted. */
    List<String> violations(Path classes) throws IOException {
        Set<String> out = new TreeSet<>();
        Map<String, String> unknownPackages = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(classes)) {
            files = s.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        }
        String ours = root.contains(".") ? root.substring(0, root.indexOf('.')) : root;
        for (Path f : files) {
            ClassModel cm = ClassFile.of().parse(Files.readAllBytes(f));
            String self = topLevel(cm.thisClass().asInternalName());
            String selfPkg = packageOf(self);
            if (!within(selfPkg, root)) continue; // module-info and the like
            String from = rowOf(selfPkg);
            if (from == null) {
                unknownPackages.putIfAbsent(selfPkg, self);
                continue;
            }
            List<String> allowed = rows.get(from);
            if (allowed.contains(EVERYTHING)) continue;
            for (String target : referencedClasses(cm)) {
                String targetPkg = packageOf(target);
                if (!within(targetPkg, ours)) continue; // the JDK and libraries
                String to = rowOf(targetPkg);
                if (from.equals(to) || (to != null && allowed.contains(to)) || allowedOutside(allowed, targetPkg)) continue;
                out.add(self + " -> " + target + " (" + from + " may not use " + (to != null ? to : relative(targetPkg)) + ")");
            }
        }
        unknownPackages.forEach((pkg, cls) -> out.add(cls + ": package " + pkg + " has no row in the layering table"));
        return new ArrayList<>(out);
    }

    /** Cycles among the rows' allowed edges, each once, starting at its alphabetically first row. */
    List<String> cycles() {
        Set<String> found = new TreeSet<>();
        for (String start : new TreeSet<>(rows.keySet())) walk(start, new ArrayList<>(), found);
        return new ArrayList<>(found);
    }

    private void walk(String node, List<String> path, Set<String> found) {
        int at = path.indexOf(node);
        if (at >= 0) {
            List<String> cycle = new ArrayList<>(path.subList(at, path.size()));
            int min = cycle.indexOf(cycle.stream().min(String::compareTo).orElseThrow());
            List<String> rotated = new ArrayList<>(cycle.subList(min, cycle.size()));
            rotated.addAll(cycle.subList(0, min));
            rotated.add(rotated.get(0));
            found.add(String.join(" -> ", rotated));
            return;
        }
        path.add(node);
        for (String next : rows.getOrDefault(node, List.of())) {
            if (rows.containsKey(next)) walk(next, path, found);
        }
        path.remove(path.size() - 1);
    }

    /** Row names that are not rows of this table (e.g. `engine` in the app table) name whole package trees. */
    private boolean allowedOutside(List<String> allowed, String pkg) {
        for (String a : allowed) {
            if (!rows.containsKey(a) && within(pkg, root + "." + a)) return true;
        }
        return false;
    }

    private String rowOf(String pkg) {
        String best = null;
        for (String r : rows.keySet()) {
            if (within(pkg, root + "." + r) && (best == null || r.length() > best.length())) best = r;
        }
        return best;
    }

    private String relative(String pkg) {
        return pkg.startsWith(root + ".") ? pkg.substring(root.length() + 1) : pkg;
    }

    private static Set<String> referencedClasses(ClassModel cm) {
        Set<String> refs = new TreeSet<>();
        for (PoolEntry e : cm.constantPool()) {
            if (e instanceof ClassEntry c) {
                String n = c.asInternalName();
                if (n.startsWith("[")) addDescriptorTypes(n, refs);
                else refs.add(topLevel(n));
            } else if (e instanceof Utf8Entry u) {
                addDescriptorTypes(u.stringValue(), refs);
            }
        }
        return refs;
    }

    private static void addDescriptorTypes(String text, Set<String> refs) {
        Matcher m = DESCRIPTOR_TYPE.matcher(text);
        while (m.find()) refs.add(topLevel(m.group(1)));
    }

    /** Internal name to the dotted name of its top-level class (nested classes report as their outer class). */
    private static String topLevel(String internalName) {
        String dotted = internalName.replace('/', '.');
        int dollar = dotted.indexOf('$', dotted.lastIndexOf('.') + 1);
        return dollar < 0 ? dotted : dotted.substring(0, dollar);
    }

    private static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    private static boolean within(String pkg, String prefix) {
        return pkg.equals(prefix) || pkg.startsWith(prefix + ".");
    }
}
