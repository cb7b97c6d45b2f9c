package dev.selftaught.server.http;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP/1.1 server on virtual threads: keep-alive, chunked responses (for SSE), strict
 * request parsing with limits ({@link HttpLimits}), and an answer shaped by the caller for every
 * error the server itself produces. Why not the JDK's {@code com.sun.net.httpserver}: it answers
 * malformed requests with its own HTML, resets connections with oversized headers instead of
 * answering 431, has no per-server header-read timeout or connection cap (only JVM-wide system
 * properties), and hides the socket, so a handler cannot tell that a client hung up until it
 * writes. Here each connection has a reader of its own ({@link Incoming}), which gives all of that.
 *
 * <p>Parsing: request line {@code METHOD SP origin-form SP HTTP/1.x}; header lines
 * {@code token ":" OWS value OWS}; lines end in CRLF (a bare LF is accepted, a bare CR is not);
 * obsolete line folding, control characters in values, a Content-Length that is not all digits,
 * conflicting Content-Lengths, and Content-Length together with Transfer-Encoding are refused
 * with 400 (the last two are request-smuggling vectors). {@code Expect: 100-continue} is honoured.
 * A refused request closes its connection after a lingering close (so the client reads the
 * answer instead of a reset).
 */
public final class Http1Server implements AutoCloseable {

    /** Answers one request. Exceptions it throws become a 500 (if nothing was sent yet). */
    @FunctionalInterface
    public interface Handler {
        void handle(Exchange ex) throws IOException;
    }

    /** The body of every error the HTTP layer produces itself (e.g. an OpenAI-shaped JSON). */
    @FunctionalInterface
    public interface ErrorRenderer {
        byte[] render(int status, String code, String message);
    }

    /** One line per answered (or refused) request; {@code target} is raw and may hold anything. */
    @FunctionalInterface
    public interface AccessLog {
        void log(String remote, String method, String target, int status, long nanos);
    }

    private static final Set<String> METHODS = Set.of("GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT");

    private final ServerSocket listener;
    private final HttpLimits limits;
    private final Handler handler;
    private final ErrorRenderer errors;
    private final AccessLog log;
    private final Semaphore connectionPermits;
    final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger busy = new AtomicInteger();
    private final AtomicInteger refusedConnections = new AtomicInteger();
    private volatile boolean stopping;
    private final Thread acceptor, reaper;

    private Http1Server(ServerSocket listener, HttpLimits limits, Handler handler, ErrorRenderer errors, AccessLog log) {
        this.listener = listener;
        this.limits = limits;
        this.handler = handler;
        this.errors = errors;
        this.log = log;
        this.connectionPermits = new Semaphore(limits.maxConnections());
        this.acceptor = Thread.ofPlatform().daemon().name("http-accept").unstarted(this::acceptLoop);
        this.reaper = Thread.ofVirtual().name("http-write-reaper").unstarted(this::reapStuckWrites);
    }

    /** Binds {@code host:port} (0 = a free port) and starts accepting. */
    public static Http1Server start(String host, int port, HttpLimits limits, Handler handler, ErrorRenderer errors,
                                    AccessLog log) throws IOException {
        ServerSocket ss = new ServerSocket();
        try {
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(InetAddress.getByName(host), port), 1024);
        } catch (IOException e) {
            ss.close();
            throw e;
        }
        Http1Server s = new Http1Server(ss, limits, handler, errors, log);
        s.acceptor.start();
        s.reaper.start();
        return s;
    }

    public int port() { return listener.getLocalPort(); }

    public boolean stopping() { return stopping; }

    /** Open connections. */
    public int connectionCount() { return connections.size(); }

    /** Requests being handled right now. */
    public int busy() { return busy.get(); }

    /** Connections refused because {@link HttpLimits#maxConnections()} were open. */
    public int refusedConnections() { return refusedConnections.get(); }

    /** Stops accepting at once; requests in progress go on (their connections close after them). */
    public void stopAccepting() {
        stopping = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closed anyway
        }
    }

    /** Stops accepting, waits up to {@code graceNanos} for requests in progress, then closes every connection. */
    public void stop(long graceNanos) {
        stopAccepting();
        long deadline = System.nanoTime() + graceNanos;
        while (busy.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Connection c : connections) c.close();
        reaper.interrupt();
    }

    @Override
    public void close() { stop(0); }

    private void acceptLoop() {
        while (!stopping) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                if (stopping) return;
                continue; // e.g. too many open files: keep serving the connections we have
            }
            if (!connectionPermits.tryAcquire()) {
                refusedConnections.incrementAndGet();
                Thread.ofVirtual().name("http-refuse").start(() -> refuse(s));
                continue;
            }
            Connection c = new Connection(s);
            connections.add(c);
            Thread.ofVirtual().name("http-conn").start(c);
        }
    }

    /** Over the connection cap: a 503 and a lingering close, without reading the request. */
    private void refuse(Socket s) {
        try (s) {
            s.setSoTimeout(1000);
            byte[] body = errors.render(503, "too_many_connections",
                    "this server has " + limits.maxConnections() + " connections open, its limit; retry shortly");
            String head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            s.shutdownOutput();
            var in = s.getInputStream(); // lingering close: the client reads the 503, not a reset
            byte[] sink = new byte[8192];
            long n = 0;
            for (int r; n < (1 << 20) && (r = in.read(sink)) >= 0; ) n += r;
        } catch (IOException ignored) {
            // gone
        }
        log.log(remote(s), "-", "-", 503, 0);
    }

    private void reapStuckWrites() {
        long limit = limits.writeTimeout().toNanos();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(Math.max(100, Math.min(1000, limit / 1_000_000 / 4)));
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Connection c : connections) {
                long since = c.writeSince;
                if (since != 0 && now - since > limit) c.close(); // the client does not read
            }
        }
    }

    private static String remote(Socket s) {
        var a = s.getRemoteSocketAddress();
        return a instanceof InetSocketAddress i ? i.getAddress().getHostAddress() + ":" + i.getPort() : String.valueOf(a);
    }

    static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status";
        };
    }

    /** One client connection: requests one after another (keep-alive), on one virtual thread. */
    final class Connection implements Runnable {
        final Socket socket;
        final Incoming in;
        final OutputStream out;
        final Http1Server server = Http1Server.this;
        /** nanoTime when a write started and has not returned yet; 0 when not writing. */
        volatile long writeSince;
        private final String remote;
        private volatile boolean closed;

        Connection(Socket socket) {
            this.socket = socket;
            this.remote = remote(socket);
            Incoming i = null;
            OutputStream o = null;
            try {
                socket.setTcpNoDelay(true);
                i = new Incoming(socket.getInputStream(), 64 << 10);
                o = new BufferedOutputStream(socket.getOutputStream(), 16 << 10);
            } catch (IOException e) {
                closed = true;
            }
            this.in = i;
            this.out = o;
        }

        @Override
        public void run() {
            try {
                if (closed) return;
                in.start();
                boolean first = true;
                while (!stopping && !closed) {
                    if (!serveOne(first)) return;
                    first = false;
                }
            } finally {
                close();
                connections.remove(this);
                connectionPermits.release();
            }
        }

        /** Reads and answers one request; false when the connection should close. */
        private boolean serveOne(boolean first) {
            long t0;
            String method = "-", target = "-";
            try {
                // A new connection must start its request within the header timeout; a kept-alive
                // one may idle longer between requests.
                long waitUntil = Incoming.deadline(first ? limits.headerTimeout() : limits.idleTimeout());
                try {
                    if (!in.await(waitUntil)) return false;
                } catch (Incoming.Timeout e) {
                    return false; // nothing sent: close without an answer
                }
                t0 = System.nanoTime();
                long headDeadline = Incoming.deadline(limits.headerTimeout());
                String line = requestLine(headDeadline);
                String[] parts = line.split(" ", -1);
                if (parts.length != 3) throw new HttpError(400, "bad_request_line", "malformed request line (want METHOD SP /path SP HTTP/1.1)");
                method = parts[0];
                target = parts[1];
                String version = parts[2];
                if (!isToken(method)) throw new HttpError(400, "bad_request_line", "malformed request method");
                if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
                    if (version.startsWith("HTTP/")) throw new HttpError(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
                    throw new HttpError(400, "bad_request_line", "malformed request line (want METHOD SP /path SP HTTP/1.1)");
                }
                if (!target.startsWith("/") || !visibleAscii(target)) {
                    throw new HttpError(400, "bad_request_target", "the request target must be a path starting with '/' in visible ASCII");
                }
                if (!METHODS.contains(method)) throw new HttpError(501, "method_not_implemented", "unknown method");
                Map<String, List<String>> headers = headers(headDeadline, line.length() + 2);
                boolean close = closeRequested(version, headers);
                byte[] body = body(method, headers);
                busy.incrementAndGet();
                Exchange ex = new Exchange(this, method, target, version, headers, body, close);
                try {
                    handler.handle(ex);
                    if (!ex.answered()) ex.respond(500, "application/json", errors.render(500, "internal_error", "the handler gave no answer"), null);
                } catch (IOException e) {
                    return false; // the client went away mid-answer
                } catch (RuntimeException e) {
                    if (ex.answered()) return false; // half an answer: only closing tells the client
                    ex.respond(500, "application/json", errors.render(500, "internal_error", "internal server error"), Map.of("Connection", "close"));
                } finally {
                    busy.decrementAndGet();
                    in.onClose(null);
                    log.log(remote, method, target, ex.status(), System.nanoTime() - t0);
                }
                return !ex.closeAfter() && !in.closed();
            } catch (HttpError e) {
                refuse(method, target, e);
                return false;
            } catch (Incoming.Timeout e) {
                refuse(method, target, new HttpError(408, "request_timeout",
                        "the request was not received in time (headers within " + limits.headerTimeout().toSeconds()
                                + " s, body within " + limits.bodyTimeout().toSeconds() + " s)"));
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (IOException e) {
                return false;
            }
        }

        private void refuse(String method, String target, HttpError e) {
            try {
                byte[] body = errors.render(e.status, e.code, e.getMessage());
                String head = "HTTP/1.1 " + e.status + " " + reason(e.status) + "\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\nConnection: close\r\n\r\n";
                write(head.getBytes(StandardCharsets.ISO_8859_1), body, true);
                socket.shutdownOutput();
                // Lingering close: read what the client is still sending so that it gets our
                // answer rather than a reset.
                in.drain(8L << 20, Incoming.deadline(java.time.Duration.ofSeconds(2)));
            } catch (IOException ignored) {
                // gone
            }
            log.log(remote, method, target, e.status, 0);
        }

        /** The request line, without its line end; at most maxHeaderBytes (414 beyond). */
        private String requestLine(long deadline) throws HttpError, Incoming.Timeout, InterruptedException {
            String line = line(deadline, limits.maxHeaderBytes(), 414, "uri_too_long", "the request line is longer than this server's limit of "
                    + limits.maxHeaderBytes() + " bytes");
            if (line == null) throw new HttpError(400, "bad_request_line", "connection closed in the request line");
            return line;
        }

        private Map<String, List<String>> headers(long deadline, int used) throws HttpError, Incoming.Timeout, InterruptedException {
            Map<String, List<String>> h = new HashMap<>();
            int count = 0;
            while (true) {
                int left = limits.maxHeaderBytes() - used;
                String tooBig = "the request headers are larger than this server's limit of " + limits.maxHeaderBytes() + " bytes";
                if (left <= 0) throw new HttpError(431, "request_header_fields_too_large", tooBig);
                String line = line(deadline, left, 431, "request_header_fields_too_large", tooBig);
                if (line == null) throw new HttpError(400, "bad_header", "connection closed in the headers");
                used += line.length() + 2;
                if (line.isEmpty()) return h;
                if (++count > limits.maxHeaderCount()) {
                    throw new HttpError(431, "request_header_fields_too_large", "more than " + limits.maxHeaderCount() + " header fields");
                }
                if (line.charAt(0) == ' ' || line.charAt(0) == '\t') throw new HttpError(400, "bad_header", "obsolete header line folding is not accepted");
                int colon = line.indexOf(':');
                if (colon <= 0 || !isToken(line.substring(0, colon))) throw new HttpError(400, "bad_header", "malformed header line");
                String value = line.substring(colon + 1).strip();
                for (int i = 0; i < value.length(); i++) {
                    char c = value.charAt(i);
                    if ((c < 0x20 && c != '\t') || c == 0x7f) throw new HttpError(400, "bad_header", "control character in a header value");
                }
                h.computeIfAbsent(line.substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>(1)).add(value);
            }
        }

        /** A line in ISO-8859-1 without its end; null if the client closed first. */
        private String line(long deadline, int max, int status, String code, String tooLong) throws HttpError, Incoming.Timeout, InterruptedException {
            StringBuilder sb = new StringBuilder(64);
            while (true) {
                int b = in.read(deadline);
                if (b < 0) return null;
                if (b == '\n') {
                    if (!sb.isEmpty() && sb.charAt(sb.length() - 1) == '\r') sb.setLength(sb.length() - 1);
                    if (sb.indexOf("\r") >= 0) throw new HttpError(400, "bad_header", "bare CR in the request head");
                    return sb.toString();
                }
                if (b == 0) throw new HttpError(400, "bad_header", "NUL byte in the request head");
                sb.append((char) b);
                if (sb.length() > max) throw new HttpError(status, code, tooLong);
            }
        }

        private boolean closeRequested(String version, Map<String, List<String>> headers) {
            List<String> c = headers.getOrDefault("connection", List.of());
            boolean close = c.stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("close"));
            boolean keep = c.stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("keep-alive"));
            return close || (version.equals("HTTP/1.0") && !keep);
        }

        private byte[] body(String method, Map<String, List<String>> headers) throws HttpError, Incoming.Timeout, InterruptedException, IOException {
            List<String> cl = headers.get("content-length");
            List<String> te = headers.get("transfer-encoding");
            if (cl != null && te != null) throw new HttpError(400, "bad_framing", "Content-Length together with Transfer-Encoding is not accepted");
            long deadline = Incoming.deadline(limits.bodyTimeout());
            if (te != null) {
                if (te.size() != 1 || !te.getFirst().equalsIgnoreCase("chunked")) {
                    throw new HttpError(501, "unsupported_transfer_encoding", "only Transfer-Encoding: chunked is accepted");
                }
                continueIfExpected(headers);
                return chunkedBody(deadline);
            }
            if (cl == null) return new byte[0];
            String first = cl.getFirst();
            for (String v : cl) {
                for (String part : v.split(",", -1)) {
                    if (!part.strip().equals(first.strip())) throw new HttpError(400, "invalid_content_length", "conflicting Content-Length values");
                }
            }
            String v = first.contains(",") ? first.substring(0, first.indexOf(',')).strip() : first;
            if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                throw new HttpError(400, "invalid_content_length", "Content-Length must be a decimal number of bytes");
            }
            long len = Long.parseLong(v);
            if (len > limits.maxBodyBytes()) {
                throw new HttpError(413, "request_too_large", "the request body is larger than this server's limit of " + limits.maxBodyBytes() + " bytes");
            }
            continueIfExpected(headers);
            byte[] body = new byte[(int) len];
            int off = 0;
            while (off < len) {
                int n = in.read(body, off, (int) len - off, deadline);
                if (n < 0) throw new IOException("client closed in the body");
                off += n;
            }
            return body;
        }

        private void continueIfExpected(Map<String, List<String>> headers) throws IOException {
            List<String> e = headers.get("expect");
            if (e != null && e.stream().anyMatch(x -> x.equalsIgnoreCase("100-continue"))) {
                write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), new byte[0], true);
            }
        }

        private byte[] chunkedBody(long deadline) throws HttpError, Incoming.Timeout, InterruptedException, IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String size = line(deadline, 64, 400, "bad_chunk", "chunk size line too long");
                if (size == null) throw new IOException("client closed in the body");
                int semi = size.indexOf(';');
                String hex = (semi >= 0 ? size.substring(0, semi) : size).strip();
                if (hex.isEmpty() || hex.length() > 15 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                    throw new HttpError(400, "bad_chunk", "malformed chunk size");
                }
                long n = Long.parseLong(hex, 16);
                if (n == 0) break;
                if (body.size() + n > limits.maxBodyBytes()) {
                    throw new HttpError(413, "request_too_large", "the request body is larger than this server's limit of " + limits.maxBodyBytes() + " bytes");
                }
                byte[] chunk = new byte[(int) n];
                int off = 0;
                while (off < n) {
                    int r = in.read(chunk, off, (int) n - off, deadline);
                    if (r < 0) throw new IOException("client closed in the body");
                    off += r;
                }
                body.write(chunk);
                String end = line(deadline, 2, 400, "bad_chunk", "chunk data longer than its size");
                if (end == null || !end.isEmpty()) throw new HttpError(400, "bad_chunk", "chunk data longer than its size");
            }
            int trailerBytes = 0;
            while (true) { // trailers, ignored but bounded
                String t = line(deadline, limits.maxHeaderBytes(), 431, "request_header_fields_too_large", "trailers too large");
                if (t == null || t.isEmpty()) return body.toByteArray();
                trailerBytes += t.length() + 2;
                if (trailerBytes > limits.maxHeaderBytes()) throw new HttpError(431, "request_header_fields_too_large", "trailers too large");
            }
        }

        /** Writes head + body and flushes; a write blocked past the write timeout closes the connection. */
        void write(byte[] head, byte[] body, boolean flush) throws IOException {
            if (closed) throw new SocketException("connection closed");
            writeSince = System.nanoTime();
            try {
                out.write(head);
                out.write(body);
                if (flush) out.flush();
            } finally {
                writeSince = 0;
            }
        }

        void close() {
            closed = true;
            if (in != null) in.stop();
            try {
                socket.close();
            } catch (IOException ignored) {
                // closed anyway
            }
        }
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) return false;
        }
        return true;
    }

    private static boolean visibleAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) return false;
        }
        return true;
    }

    static long millis(long nanos) { return TimeUnit.NANOSECONDS.toMillis(nanos); }
}
