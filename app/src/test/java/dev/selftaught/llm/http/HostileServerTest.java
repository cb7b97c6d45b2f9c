package dev.selftaught.llm.http;

import dev.selftaught.data.ChatMessage;
import dev.selftaught.llm.LanguageModel;
import dev.selftaught.llm.ModelException;
import dev.selftaught.llm.ModelOptions;
import dev.selftaught.llm.ModelRequest;
import dev.selftaught.llm.ModelResponse;
import dev.selftaught.llm.SamplingParams;
import dev.selftaught.store.CachedModel;
import dev.selftaught.store.CallStore;
import dev.selftaught.store.StoredSample;
import dev.selftaught.store.CallKeys;
import dev.selftaught.testing.RawHttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The HTTP client against a real hostile server on loopback: lying lengths, huge chunk sizes,
 * endless 1xx responses, bodies past the limit, gzip bombs. Every one must cost one failed call
 * with a message that says why, never the heap or the stack.
 */
class HostileServerTest {

    @TempDir
    Path dir;

    static ModelOptions opts(long maxBytes) {
        return ModelOptions.defaults().withRequestTimeout(Duration.ofSeconds(20)).withRetries(0, Duration.ofMillis(1))
                .withMaxResponseBytes(maxBytes);
    }

    static ModelRequest req() { return ModelRequest.chat(List.of(ChatMessage.user("hi")), SamplingParams.greedy(4)); }

    static OpenAiModel model(RawHttpServer s, ModelOptions o) {
        return new OpenAiModel(List.of(URI.create(s.url())), "m", java.util.Collections.singletonList(null), o, HttpProxies.NONE, null);
    }

    static String failure(RawHttpServer s, ModelOptions o) {
        try (OpenAiModel m = model(s, o)) {
            ModelException e = assertThrows(ModelException.class, () -> m.complete(req()));
            return e.getMessage();
        }
    }

    static byte[] ascii(String s) { return s.getBytes(StandardCharsets.ISO_8859_1); }

    @Test
    void aDeclaredTwoGigabyteBodyIsRefusedBeforeAnyAllocation() throws Exception {
        try (var s = new RawHttpServer((h, b, out) -> {
            out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2147483000\r\n\r\n{\"choices\""));
            return false;
        })) {
            String msg = failure(s, opts(0));
            assertTrue(msg.contains("declares 2147483000 bytes, more than the limit of " + ModelOptions.DEFAULT_MAX_RESPONSE_BYTES), msg);
        }
    }

    @Test
    void aHugeChunkSizeIsRefusedAndMalformedOnesToo() throws Exception {
        try (var s = new RawHttpServer((h, b, out) -> {
            out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7ffffff0\r\nabc"));
            return false;
        })) {
            assertTrue(failure(s, opts(1 << 20)).contains("chunked response grows past the limit of 1048576"));
        }
        try (var s = new RawHttpServer((h, b, out) -> {
            out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n"));
            return false;
        })) {
            assertTrue(failure(s, opts(1 << 20)).contains("bad chunk size"));
        }
    }

    @Test
    void manySmallChunksAddingUpPastTheLimitAreRefused() throws Exception {
        try (var s = new RawHttpServer((h, b, out) -> {
            out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
            byte[] chunk = ascii("1000\r\n" + "x".repeat(4096) + "\r\n");
            for (int i = 0; i < 100; i++) out.write(chunk); // 400 KiB in 4 KiB chunks
            out.write(ascii("0\r\n\r\n"));
            return true;
        })) {
            assertTrue(failure(s, opts(64 * 1024)).contains("grows past the limit of 65536"));
        }
    }

    @Test
    void aBodyUntilCloseLargerThanTheLimitIsRefused() throws Exception {
        try (var s = new RawHttpServer((h, b, out) -> {
            out.write(ascii("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"));
            byte[] junk = new byte[64 * 1024];
            for (int i = 0; i < 32; i++) out.write(junk); // 2 MiB
            return false;
        })) {
            String msg = failure(s, opts(1 << 20));
            assertTrue(msg.contains("response body exceeds the limit of 1048576 bytes"), msg);
        }
    }

    @Test
    void endless100ContinueIsCutOffIterativelyAndAFewAreSkipped() throws Exception {
        try (var s = new RawHttpServer((h, b, out) -> {
            byte[] cont = ascii("HTTP/1.1 100 Continue\r\n\r\n");
            try {
                for (int i = 0; i < 200_000; i++) out.write(cont); // before the fix: one stack frame each
            } catch (java.io.IOException ignored) {
                // the client hung up, as it should
            }
            return false;
        })) {
            String msg = failure(s, opts(0));
            assertTrue(msg.contains("more than " + Http1Connection.MAX_INTERIM + " interim (1xx) responses"), msg);
        }
        try (var s = new RawHttpServer((h, b, out) -> {
            out.write(ascii("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"));
            out.write(RawHttpServer.chatOk("fine"));
            return true;
        }); OpenAiModel m = model(s, opts(0))) {
            assertEquals(List.of("fine"), m.complete(req()).texts());
        }
    }

    @Test
    void gzipAnswersAreAskedForAndDecoded() throws Exception {
        try (var s = new RawHttpServer((h, b, out) -> {
            byte[] full = RawHttpServer.chatOk("zipped");
            String text = new String(full, StandardCharsets.ISO_8859_1);
            byte[] json = ascii(text.substring(text.indexOf("\r\n\r\n") + 4));
            byte[] gz = gzip(json);
            out.write(ascii("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.length + "\r\n\r\n"));
            out.write(gz);
            return true;
        }); OpenAiModel m = model(s, opts(0))) {
            assertEquals(List.of("zipped"), m.complete(req()).texts());
            assertTrue(s.heads.getFirst().contains("\r\nAccept-Encoding: gzip\r\n"), s.heads.getFirst());
        }
    }

    @Test
    void aGzipBombIsStoppedAtTheLimitOfDecodedBytes() throws Exception {
        byte[] bomb = gzip(new byte[64 << 20]); // 64 MiB of zeros in about 64 KiB
        assertTrue(bomb.length < 1 << 20, "the compressed bomb itself is within the limit: " + bomb.length);
        try (var s = new RawHttpServer((h, b, out) -> {
            out.write(ascii("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + bomb.length + "\r\n\r\n"));
            out.write(bomb);
            return true;
        })) {
            String msg = failure(s, opts(1 << 20));
            assertTrue(msg.contains("decoded (gunzipped) response body exceeds the limit of 1048576 bytes"), msg);
        }
    }

    @Test
    void anUnofferedEncodingIsRefusedByName() throws Exception {
        try (var s = new RawHttpServer((h, b, out) -> {
            out.write(ascii("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nabc"));
            return true;
        })) {
            assertTrue(failure(s, opts(0)).contains("unsupported Content-Encoding 'br'"));
        }
    }

    @Test
    void theCauseOfAFailedCallIsStoredAndReportedNotNoAnswer() throws Exception {
        try (var s = new RawHttpServer((h, b, out) -> {
            out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n"));
            return false;
        }); CallStore store = CallStore.open(dir.resolve("calls.sqlite"));
             CachedModel m = new CachedModel(model(s, opts(1 << 20)), store, false)) {
            List<ModelException> errors = new ArrayList<>();
            m.completeAll(List.of(req()), 1, (i, r, e) -> errors.add(e));
            assertEquals(1, errors.size());
            assertNotNull(errors.getFirst());
            assertTrue(errors.getFirst().getMessage().contains("more than the limit of 1048576"), errors.getFirst().getMessage());
            Map<Integer, StoredSample> stored = store.samples(CallKeys.requestKey(m.identity(), req()), 1);
            assertTrue(stored.get(0).error().contains("more than the limit of 1048576"), stored.get(0).error());
        }
    }

    /** A model whose call dies of an Error (as a stack overflow in a parser would). */
    static final class DyingModel implements LanguageModel {
        @Override public String identity() { return "dying"; }
        @Override public ModelResponse complete(ModelRequest request) { throw new StackOverflowError("deep response"); }
    }

    @Test
    void anErrorThrownByACallIsRecordedWithItsCause() {
        try (CallStore store = CallStore.open(dir.resolve("calls2.sqlite")); CachedModel m = new CachedModel(new DyingModel(), store, false)) {
            List<ModelException> errors = new ArrayList<>();
            m.completeAll(List.of(req()), 1, (i, r, e) -> errors.add(e));
            assertTrue(errors.getFirst().getMessage().contains("java.lang.StackOverflowError: deep response"), errors.getFirst().getMessage());
            Map<Integer, StoredSample> stored = store.samples(CallKeys.requestKey("dying", req()), 1);
            assertTrue(stored.get(0).error().contains("StackOverflowError: deep response"), stored.get(0).error());
            ModelException single = assertThrows(ModelException.class, () -> new CachedModel(new DyingModel(), store, true).complete(req()));
            assertTrue(single.getMessage().contains("StackOverflowError"), single.getMessage());
        }
    }

    static byte[] gzip(byte[] data) throws java.io.IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (OutputStream z = new GZIPOutputStream(bo)) {
            z.write(data);
        }
        return bo.toByteArray();
    }
}
