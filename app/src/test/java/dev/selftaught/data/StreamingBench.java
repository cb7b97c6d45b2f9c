package dev.selftaught.data;

import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Measures that reader → writer streaming uses heap independent of the file size: for each row
 * count, writes a JSONL file of pair-like records, then copies it through
 * {@link Datasets#read} / {@link Datasets#writer} and reports the peak live heap (heap in use
 * right after a garbage collection, the best measure of what the program retains) and the peak
 * heap in use at any moment (which mostly reflects how lazily the collector runs).
 *
 * <p>Run (see docs/benchmarks.md): {@code java -Xmx64m -cp app/target/selftaught.jar:app/target/test-classes
 * dev.selftaught.data.StreamingBench 100000 1000000}
 */
public final class StreamingBench {
    public static void main(String[] args) throws IOException {
        // Arguments: row counts, and optionally --to EXT (jsonl, jsonl.gz or parquet; default jsonl).
        String ext = "jsonl";
        List<Long> counts = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--to")) ext = args[++i];
            else counts.add(Long.parseLong(args[i]));
        }
        if (counts.isEmpty()) counts = List.of(100_000L, 1_000_000L);
        Path dir = Files.createTempDirectory("selftaught-streaming-bench");
        System.out.printf("max heap %d MiB, GC %s%n", Runtime.getRuntime().maxMemory() >> 20,
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(b -> b.getName()).toList());
        System.out.println("jsonl -> " + ext);
        System.out.println("| rows | file MiB | seconds | rows/s | heap after last GC MiB | peak used heap MiB |");
        System.out.println("|---:|---:|---:|---:|---:|---:|");
        try {
            for (long n : counts) run(dir, n, ext);
        } finally {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    private static void run(Path dir, long rows, String ext) throws IOException {
        Path in = dir.resolve("in-" + rows + ".jsonl");
        Path out = dir.resolve("out-" + rows + "." + ext);
        try (BufferedWriter w = Files.newBufferedWriter(in, StandardCharsets.UTF_8)) {
            for (long i = 0; i < rows; i++) {
                w.write("{\"id\":\"pair-" + i + "\",\"instruction\":\"Write a short poem about the number " + i
                        + ".\",\"chosen\":\"A careful answer that follows the instruction closely, line " + i
                        + ".\",\"rejected\":\"An answer to a subtly different instruction, line " + i
                        + ".\",\"method\":\"modified_instruction\",\"tags\":[\"a\",\"b\"]}\n");
            }
        }
        System.gc();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long t0 = System.nanoTime();
        long copied = 0;
        try (RecordReader r = Datasets.read(in); RecordWriter w = Datasets.writer(out)) {
            while (r.hasNext()) {
                DataRecord rec = r.next();
                rec.string("chosen"); // touch a field like a real stage would
                w.write(rec.json());
                copied++;
            }
            w.commit();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (copied != rows) throw new IllegalStateException("copied " + copied + " of " + rows);
        long live = 0;
        long peak = 0;
        for (MemoryPoolMXBean p : heap) {
            MemoryUsage after = p.getCollectionUsage(); // usage right after the pool's last GC
            if (after != null) live += after.getUsed();
            peak += p.getPeakUsage().getUsed();
        }
        System.out.printf("| %,d | %.0f | %.2f | %,.0f | %.1f | %.1f |%n", rows, Files.size(in) / 1048576.0, secs,
                rows / secs, live / 1048576.0, peak / 1048576.0);
        Files.delete(in);
        Files.delete(out);
    }
}
