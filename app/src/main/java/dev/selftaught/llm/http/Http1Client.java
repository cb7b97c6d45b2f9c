package dev.selftaught.llm.http;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A small HTTP/1.1 client over blocking sockets with a keep-alive pool per endpoint, meant to be
 * called from virtual threads. It exists because {@code java.net.http.HttpClient} measured about
 * 0.5 ms of CPU per call on this machine (its asynchronous machinery dominates a call to a fast
 * server), which caps a 2-core client near 2,000 calls/s; this one does far less per call
 * (docs/benchmarks.md, "HTTP client overhead").
 */
final class Http1Client implements AutoCloseable {

    /** Idle connections older than this are closed instead of reused (servers drop idle ones too). */
    private static final long MAX_IDLE_NANOS = 20_000_000_000L;

    private final ConcurrentHashMap<URI, ConcurrentLinkedDeque<Http1Connection>> idle = new ConcurrentHashMap<>();
    private final long maxResponseBytes;
    private final HttpProxies proxies;
    private final javax.net.ssl.SSLSocketFactory tls;
    private volatile boolean closed;

    /**
     * A client refusing responses over {@code maxResponseBytes} (before and after gzip decoding),
     * using {@code proxies}, with TLS sockets from {@code tls} (null: the JDK default).
     */
    Http1Client(long maxResponseBytes, HttpProxies proxies, javax.net.ssl.SSLSocketFactory tls) {
        if (maxResponseBytes <= 0) throw new IllegalArgumentException("max response bytes must be > 0");
        this.maxResponseBytes = maxResponseBytes;
        this.proxies = proxies;
        this.tls = tls;
    }

    /** Opens a new connection to {@code base} (through its proxy, if any), not pooled. */
    Http1Connection open(URI base, long deadlineNanos) throws IOException {
        return Http1Connection.open(base, proxies.proxyFor(base), maxResponseBytes, tls, deadlineNanos);
    }

    /**
     * POSTs {@code body} to {@code base + path}. A reused keep-alive connection that the server
     * had already closed (error before any byte of a response) is retried once on a new one.
     */
    Http1Connection.Response post(URI base, String path, String extraHeaders, byte[] body, long deadlineNanos) throws IOException {
        String host = Http1Connection.hostHeader(base);
        String fullPath = base.getRawPath() + path;
        ConcurrentLinkedDeque<Http1Connection> pool = idle.computeIfAbsent(base, k -> new ConcurrentLinkedDeque<>());
        Http1Connection c = pollFresh(pool);
        boolean reused = c != null;
        if (c == null) c = open(base, deadlineNanos);
        try {
            Http1Connection.Response r = c.post(host, fullPath, extraHeaders, body, deadlineNanos);
            giveBack(pool, c);
            return r;
        } catch (IOException e) {
            c.close();
            if (!reused || !c.nothingRead() || e instanceof java.net.http.HttpTimeoutException) throw e;
        }
        Http1Connection fresh = open(base, deadlineNanos);
        try {
            Http1Connection.Response r = fresh.post(host, fullPath, extraHeaders, body, deadlineNanos);
            giveBack(pool, fresh);
            return r;
        } catch (IOException e) {
            fresh.close();
            throw e;
        }
    }

    private static Http1Connection pollFresh(ConcurrentLinkedDeque<Http1Connection> pool) {
        Http1Connection c;
        long now = System.nanoTime();
        while ((c = pool.pollFirst()) != null) {
            if (c.reusable() && now - c.lastUsedNanos < MAX_IDLE_NANOS) return c;
            c.close();
        }
        return null;
    }

    private void giveBack(ConcurrentLinkedDeque<Http1Connection> pool, Http1Connection c) {
        if (!c.reusable() || closed) {
            c.close();
            return;
        }
        c.lastUsedNanos = System.nanoTime();
        pool.offerFirst(c);
    }

    @Override
    public void close() {
        closed = true;
        for (var pool : idle.values()) {
            Http1Connection c;
            while ((c = pool.pollFirst()) != null) c.close();
        }
    }
}
