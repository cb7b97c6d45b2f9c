package dev.selftaught.server;

import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelFactory;
import dev.selftaught.llm.ModelOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 16's load probe, bounded: many requests at high concurrency against the real embedded
 * engine, half the clients hanging up right after sending (non-streamed and streamed); afterwards
 * every connection and queue place is free and a small request answers within 2 s. Size with
 * {@code -Dserve.load.requests=N -Dserve.load.concurrency=C} (defaults 2,000 at 256).
 */
class ServeLoadTest {
    @Test
    void twoThousandRequestsHalfAbandonedLeaveTheServerResponsive() throws Exception {
        int requests = Integer.getInteger("serve.load.requests", 2000);
        int concurrency = Integer.getInteger("serve.load.concurrency", 256);
        Path dir = ServeAbuseTest.DATA.resolve("llama2c_stories260K");
        try (LanguageModel model = ModelFactory.open("embedded:" + dir, new ModelOptions(null, null, 1, Duration.ofSeconds(60), 0, 1));
             OpenAiServer s = OpenAiServer.start(model, ServerOptions.defaults("stories"))) {
            Runtime rt = Runtime.getRuntime();
            System.gc();
            long heapBefore = rt.totalMemory() - rt.freeMemory();
            Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            Semaphore slots = new Semaphore(concurrency);
            long t0 = System.nanoTime();
            try (var exec = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < requests; i++) {
                    slots.acquire();
                    final int k = i;
                    exec.submit(() -> {
                        try (RawHttp c = new RawHttp(s.port(), 120_000)) {
                            boolean stream = k % 4 >= 2;
                            String body = "{\"prompt\": \"Once upon a time\", \"max_tokens\": " + (k % 2 == 1 ? 200 : 8)
                                    + ", \"temperature\": 0.8, \"seed\": " + k + ", \"stream\": " + stream + "}";
                            c.send(RawHttp.post("/v1/completions", body));
                            if (k % 2 == 1) { // abandon: hang up at once or after a moment
                                Thread.sleep(ThreadLocalRandom.current().nextInt(20));
                                outcomes.computeIfAbsent("abandoned", x -> new AtomicInteger()).incrementAndGet();
                            } else {
                                int st = c.read().status();
                                outcomes.computeIfAbsent(String.valueOf(st), x -> new AtomicInteger()).incrementAndGet();
                            }
                        } catch (Exception e) {
                            outcomes.computeIfAbsent(e.getClass().getSimpleName(), x -> new AtomicInteger()).incrementAndGet();
                        } finally {
                            slots.release();
                        }
                        return null;
                    });
                }
            }
            long seconds = (System.nanoTime() - t0) / 1_000_000_000;
            System.out.println("load: " + requests + " requests at concurrency " + concurrency + " in " + seconds + " s: " + outcomes);
            int answered = outcomes.getOrDefault("200", new AtomicInteger()).get() + outcomes.getOrDefault("429", new AtomicInteger()).get();
            assertEquals(requests / 2, outcomes.get("abandoned").get(), outcomes.toString());
            assertEquals(requests - requests / 2, answered, "every kept client got 200 or 429: " + outcomes);
            ServeAbuseTest.eventually("connections closed", Duration.ofSeconds(30), () -> s.connections() == 0);
            ServeAbuseTest.eventually("queue drained", Duration.ofSeconds(30), () -> s.admitted() == 0);
            ServeAbuseTest.smallRequestAnswers(s, Duration.ofSeconds(2));
            System.gc();
            long heapAfter = rt.totalMemory() - rt.freeMemory();
            assertTrue(heapAfter < heapBefore + (64L << 20), "heap back near its baseline: " + (heapBefore >> 20) + " MB -> " + (heapAfter >> 20) + " MB");
        }
    }
}
