package dev.selftaught.eval;

import dev.selftaught.eval.bench.Benchmark;
import dev.selftaught.eval.bench.Benchmarks;
import dev.selftaught.store.CachedModel;
import dev.selftaught.store.CallStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Harness overhead of {@link Evaluator}: load a benchmark, judge it in both orders with an
 * instant in-process judge (so only our code is timed: prompt rendering, parsing, voting,
 * scoring), then the same through the SQLite call store twice (first run stores every call,
 * the rerun serves them all from the store). Usage: {@code EvalBench [benchmark] [dataDir]}.
 */
public final class EvalBench {
    public static void main(String[] args) throws Exception {
        String name = args.length > 0 ? args[0] : "rewardbench-local";
        Path data = args.length > 1 ? Path.of(args[1]) : Benchmarks.dataDir(null);
        long t0 = System.nanoTime();
        Benchmark b = Benchmarks.load(name, data);
        double load = secs(t0);
        EvalOptions o = EvalOptions.defaults().withOrder(Order.BOTH).withConcurrency(8);
        int calls = 2 * b.items().size();

        t0 = System.nanoTime();
        EvalResult plain = Evaluator.evaluate(ScriptedJudge.picksGood(), b.items(), o);
        double direct = secs(t0);

        Path dir = Files.createTempDirectory("evalbench");
        double store1, store2;
        try (CallStore s = CallStore.open(dir.resolve("calls.sqlite"))) {
            t0 = System.nanoTime();
            Evaluator.evaluate(new CachedModel(ScriptedJudge.picksGood(), s, false), b.items(), o);
            store1 = secs(t0);
        }
        ScriptedJudge second = ScriptedJudge.picksGood();
        try (CallStore s = CallStore.open(dir.resolve("calls.sqlite"))) {
            t0 = System.nanoTime();
            EvalResult again = Evaluator.evaluate(new CachedModel(second, s, false), b.items(), o);
            store2 = secs(t0);
            if (second.calls.get() != 0 || again.overall() != plain.overall()) throw new AssertionError("rerun was not served from the store");
        }
        System.out.printf(Locale.ROOT, "benchmark %s: %d items, %d judge calls (order both)%n", name, b.items().size(), calls);
        System.out.printf(Locale.ROOT, "load                 %7.2f s%n", load);
        System.out.printf(Locale.ROOT, "evaluate, no store   %7.2f s  %9.0f calls/s%n", direct, calls / direct);
        System.out.printf(Locale.ROOT, "evaluate, new store  %7.2f s  %9.0f calls/s%n", store1, calls / store1);
        System.out.printf(Locale.ROOT, "evaluate, rerun      %7.2f s  %9.0f calls/s (all from the store)%n", store2, calls / store2);
    }

    private static double secs(long t0) { return (System.nanoTime() - t0) / 1e9; }
}
