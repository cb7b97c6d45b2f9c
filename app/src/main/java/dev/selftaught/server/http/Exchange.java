package dev.selftaught.server.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One request and its response on a {@link Http1Server} connection. The handler answers once,
 * either with {@link #respond} or with a {@link #stream} of chunks; it is called on the
 * connection's own virtual thread, and only that thread may write.
 */
public final class Exchange {
    private final Http1Server.Connection conn;
    private final String method, target, version;
    private final Map<String, List<String>> headers;
    private final byte[] body;
    private int status;
    private boolean answered, closeAfter;
    private Stream stream;

    Exchange(Http1Server.Connection conn, String method, String target, String version,
             Map<String, List<String>> headers, byte[] body, boolean closeAfter) {
        this.conn = conn;
        this.method = method;
        this.target = target;
        this.version = version;
        this.headers = headers;
        this.body = body;
        this.closeAfter = closeAfter;
    }

    public String method() { return method; }

    /** The request target as sent (not decoded): path and query. */
    public String target() { return target; }

    /** The target's path, without the query. */
    public String path() {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    /** The first value of a header (names are case-insensitive), or null. */
    public String header(String name) {
        List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
        return v == null || v.isEmpty() ? null : v.getFirst();
    }

    public byte[] body() { return body; }

    /** True once the client has closed its side of the connection (it will not read an answer). */
    public boolean clientGone() { return conn.in.closed(); }

    /**
     * Runs {@code r} once when the client hangs up (at once if it already has), e.g. to cancel
     * the request's work; null forgets it. Runs on the connection's reading thread: keep it quick.
     */
    public void onClientGone(Runnable r) { conn.in.onClose(r); }

    /** The status sent, 0 before an answer. */
    public int status() { return status; }

    boolean answered() { return answered; }

    /**
     * Gives up on answering (the client is gone): the connection closes without a response, and
     * the access log shows 499.
     */
    public void abandon() {
        answered = true;
        closeAfter = true;
    }

    boolean closeAfter() { return closeAfter; }

    /** Sends a complete response with Content-Length. */
    public void respond(int status, String contentType, byte[] bytes, Map<String, String> extraHeaders) throws IOException {
        if (answered) throw new IllegalStateException("already answered");
        answered = true;
        this.status = status;
        StringBuilder h = statusLine(status);
        h.append("Content-Type: ").append(contentType).append("\r\n");
        h.append("Content-Length: ").append(bytes.length).append("\r\n");
        headers(h, extraHeaders);
        byte[] payload = method.equals("HEAD") ? new byte[0] : bytes;
        conn.write(h.toString().getBytes(StandardCharsets.ISO_8859_1), payload, true);
    }

    /** Starts a streamed response (chunked on HTTP/1.1, close-delimited on HTTP/1.0). */
    public Stream stream(int status, String contentType, Map<String, String> extraHeaders) throws IOException {
        if (answered) throw new IllegalStateException("already answered");
        answered = true;
        this.status = status;
        boolean chunked = version.equals("HTTP/1.1");
        if (!chunked) closeAfter = true;
        StringBuilder h = statusLine(status);
        h.append("Content-Type: ").append(contentType).append("\r\n");
        if (chunked) h.append("Transfer-Encoding: chunked\r\n");
        headers(h, extraHeaders);
        conn.write(h.toString().getBytes(StandardCharsets.ISO_8859_1), new byte[0], true);
        stream = new Stream(chunked);
        return stream;
    }

    private StringBuilder statusLine(int status) {
        StringBuilder h = new StringBuilder(256);
        h.append(version.equals("HTTP/1.0") ? "HTTP/1.0 " : "HTTP/1.1 ").append(status).append(' ').append(Http1Server.reason(status)).append("\r\n");
        return h;
    }

    private void headers(StringBuilder h, Map<String, String> extra) {
        if (extra != null) {
            for (var e : extra.entrySet()) {
                if (e.getKey().equalsIgnoreCase("Connection")) {
                    if (e.getValue().equalsIgnoreCase("close")) closeAfter = true;
                    continue;
                }
                h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
            }
        }
        if (conn.server.stopping()) closeAfter = true;
        if (closeAfter) h.append("Connection: close\r\n");
        else if (version.equals("HTTP/1.0")) h.append("Connection: keep-alive\r\n");
        h.append("\r\n");
    }

    /** The body of a streamed response. */
    public final class Stream {
        private final boolean chunked;
        private boolean ended;

        private Stream(boolean chunked) {
            this.chunked = chunked;
        }

        /** Sends bytes now (one chunk, flushed). */
        public void write(byte[] b) throws IOException {
            if (ended) throw new IllegalStateException("stream ended");
            if (b.length == 0) return;
            if (!chunked) {
                conn.write(new byte[0], b, true);
                return;
            }
            byte[] head = (Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
            byte[] tail = new byte[b.length + 2];
            System.arraycopy(b, 0, tail, 0, b.length);
            tail[b.length] = '\r';
            tail[b.length + 1] = '\n';
            conn.write(head, tail, true);
        }

        /** Ends the body. */
        public void end() throws IOException {
            if (ended) return;
            ended = true;
            if (chunked) conn.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), new byte[0], true);
        }
    }

    boolean streamUnfinished() { return stream != null && !stream.ended; }

}
