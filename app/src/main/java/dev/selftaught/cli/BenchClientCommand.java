package dev.selftaught.cli;

import com.sun.net.httpserver.HttpServer;
import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.llm.http.OpenAiModel;
import dev.selftaught.store.CachedModel;
import dev.selftaught.store.CallStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code selftaught bench client}: how many calls per second the HTTP client sustains, and its CPU
 * cost per call, against an in-process OpenAI-compatible server that answers at once. Server and
 * client share the process, so the process CPU time covers both; the server's part (handler and
 * dispatcher threads) is measured separately and reported.
 */
@Command(name = "client", mixinStandardHelpOptions = true,
        description = {"Benchmark the OpenAI-compatible HTTP client: calls/s and CPU microseconds per call against a local server that answers at once.",
                "Reports process CPU (client + in-process server) and the server's measured share."})
public final class BenchClientCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--concurrency", paramLabel = "C", defaultValue = "64", description = "Requests in flight. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--calls", paramLabel = "N", defaultValue = "30000", description = "Measured calls. Default: ${DEFAULT-VALUE}.")
    int calls;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "10000", description = "Unmeasured calls first (JIT warm-up). Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--server-threads", paramLabel = "T", defaultValue = "4", description = "Worker threads of the in-process server. Default: ${DEFAULT-VALUE}.")
    int serverThreads;

    @Option(names = "--with-store", description = "Also go through the durable call store (CachedModel over a fresh SQLite file in a temp directory).")
    boolean withStore;

    private static final byte[] ANSWER = """
            {"id":"cmpl-1","object":"chat.completion","created":0,"model":"bench","choices":[{"index":0,\
            "message":{"role":"assistant","content":"The answer is 42."},"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}""".getBytes(StandardCharsets.UTF_8);

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        AtomicLong serverHandlerCpu = new AtomicLong();
        AtomicInteger served = new AtomicInteger();
        HttpServer server;
        ExecutorService serverPool = Executors.newFixedThreadPool(serverThreads);
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the local server: " + e.getMessage(), e);
        }
        server.setExecutor(serverPool);
        server.createContext("/v1/chat/completions", ex -> {
            long t0 = threads.getCurrentThreadCpuTime();
            try (InputStream in = ex.getRequestBody()) {
                in.readAllBytes();
            }
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, ANSWER.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(ANSWER);
            }
            served.incrementAndGet();
            serverHandlerCpu.addAndGet(threads.getCurrentThreadCpuTime() - t0);
        });
        server.start();
        Path tmp = null;
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
        ModelOptions options = ModelOptions.defaults().withConcurrency(concurrency).withRequestTimeout(Duration.ofSeconds(30));
        try (LanguageModel http = new OpenAiModel(List.of(base), "bench", null, options)) {
            LanguageModel model = http;
            CallStore store = null;
            if (withStore) {
                tmp = Files.createTempDirectory("selftaught-bench");
                store = CallStore.open(tmp.resolve("calls.sqlite"));
                model = new CachedModel(http, store, false);
            }
            runBatch(model, warmup, "warm-up");
            long dispatcherBefore = dispatcherCpu(threads);
            long handlerBefore = serverHandlerCpu.get();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            int failures = runBatch(model, calls, "measured");
            long wall = System.nanoTime() - t0;
            long cpu = os.getProcessCpuTime() - cpu0;
            long serverCpu = (serverHandlerCpu.get() - handlerBefore) + (dispatcherCpu(threads) - dispatcherBefore);
            double perSec = calls / (wall / 1e9);
            out.printf(Locale.ROOT, "bench client: %d calls at concurrency %d%s: %.0f calls/s, wall %.2f s, %d failed%n",
                    calls, concurrency, withStore ? " through the call store" : "", perSec, wall / 1e9, failures);
            out.printf(Locale.ROOT, "  process CPU %.1f us/call (client + in-process server); server share measured %.1f us/call; client about %.1f us/call%n",
                    cpu / 1e3 / calls, serverCpu / 1e3 / calls, (cpu - serverCpu) / 1e3 / calls);
            out.printf(Locale.ROOT, "  %d cores available to the JVM; %s%n", Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
            out.flush();
            if (store != null) store.close();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } finally {
            server.stop(0);
            serverPool.shutdownNow();
            if (tmp != null) deleteTree(tmp);
        }
    }

    private int runBatch(LanguageModel model, int count, String tag) {
        List<ModelRequest> reqs = new ArrayList<>(count);
        SamplingParams p = SamplingParams.greedy(16);
        String salt = tag + System.nanoTime();
        for (int i = 0; i < count; i++) reqs.add(ModelRequest.chat(List.of(ChatMessage.user("question " + i + " " + salt)), p));
        AtomicInteger failed = new AtomicInteger();
        model.completeAll(reqs, concurrency, (i, r, e) -> {
            if (e != null) failed.incrementAndGet();
        });
        return failed.get();
    }

    private static long dispatcherCpu(ThreadMXBean threads) {
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("HTTP-Dispatcher")) {
                long c = threads.getThreadCpuTime(t.threadId());
                if (c > 0) sum += c;
            }
        }
        return sum;
    }

    private static void deleteTree(Path p) {
        try (var s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // temp litter only
        }
    }
}
