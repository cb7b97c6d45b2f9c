package dev.selftaught.server.http;

import java.time.Duration;

/**
 * What one {@link HttpServer} tolerates from clients. Every limit answers with a status and a
 * body the server's {@link HttpServer.ErrorRenderer} shapes; none leaves a connection or thread
 * behind.
 *
 * @param maxConnections  open connections at once; one more is answered 503 and closed
 * @param maxHeaderBytes  request line plus headers; more gets 431 (a request line alone over it: 414)
 * @param maxHeaderCount  header fields; more gets 431
 * @param maxBodyBytes    a declared or chunked body over it gets 413
 * @param headerTimeout   from a request's first byte (or a new connection) to the end of its headers; then 408
 * @param bodyTimeout     to read the whole body once the headers are in; then 408
 * @param idleTimeout     a kept-alive connection waiting for its next request is closed after it
 * @param writeTimeout    a response write blocked this long (a client that does not read) closes the connection
 */
public record HttpLimits(int maxConnections, int maxHeaderBytes, int maxHeaderCount, long maxBodyBytes,
                         Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, Duration writeTimeout) {
    public HttpLimits {
        if (maxConnections < 1) throw new IllegalArgumentException("max connections must be >= 1");
        if (maxHeaderBytes < 256) throw new IllegalArgumentException("max header bytes must be >= 256");
        if (maxHeaderCount < 1) throw new IllegalArgumentException("max header count must be >= 1");
        if (maxBodyBytes < 1) throw new IllegalArgumentException("max body bytes must be >= 1");
        for (Duration d : new Duration[] {headerTimeout, bodyTimeout, idleTimeout, writeTimeout}) {
            if (d == null || d.isNegative() || d.isZero()) throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    /** 512 connections, 16 KiB / 100 headers, 4 MiB bodies, 10 s headers, 30 s body, 60 s idle, 30 s writes. */
    public static HttpLimits defaults() {
        return new HttpLimits(512, 16 << 10, 100, 4L << 20, Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofSeconds(60), Duration.ofSeconds(30));
    }
}
