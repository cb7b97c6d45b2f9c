package dev.selftaught.llm.http;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * One keep-alive HTTP/1.1 connection with a blocking socket, used from one (virtual) thread at a
 * time. It speaks just what an OpenAI-compatible server needs: a request with a JSON body, and a
 * response with Content-Length, chunked encoding, or a body up to connection close, optionally
 * gzip-encoded. Every read observes the request's deadline.
 * <p>Nothing a server declares is trusted: the body grows as bytes arrive (never allocated from a
 * declared Content-Length or chunk size) and is refused past {@code maxBodyBytes}, before and after
 * gzip decoding; interim 1xx responses are skipped in a loop, at most {@link #MAX_INTERIM} of them;
 * header lines, header counts and the whole header block are bounded.
 * <p>Through a proxy, {@code https} targets are tunnelled with CONNECT (TLS end to end, the proxy
 * sees only the host and port) and {@code http} targets are asked for in absolute form.
 */
final class Http1Connection implements AutoCloseable {

    /** A parsed response: status, headers (names lower-cased) and the whole (decoded) body. */
    record Response(int status, Map<String, String> headers, byte[] body) {}

    /** Most interim (1xx) responses skipped before one final response; more is a hostile server. */
    static final int MAX_INTERIM = 32;
    /** Longest status or header line. */
    static final int MAX_LINE = 64 * 1024;
    /** Most header lines in one response head. */
    static final int MAX_HEADERS = 256;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[16 * 1024];
    private final long maxBodyBytes;
    /** Non-null when requests go to an http proxy: the prefix that makes the request target absolute. */
    private final String absolutePrefix;
    private final String proxyAuth; // "Proxy-Authorization: ...\r\n" or ""
    private int pos, lim;
    private boolean reusable = true;
    long lastUsedNanos;

    private Http1Connection(Socket socket, long maxBodyBytes, String absolutePrefix, String proxyAuth) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.maxBodyBytes = maxBodyBytes;
        this.absolutePrefix = absolutePrefix;
        this.proxyAuth = proxyAuth;
    }

    static Http1Connection open(URI base, long deadlineNanos) throws IOException {
        return open(base, null, Long.MAX_VALUE / 4, null, deadlineNanos);
    }

    /**
     * Opens a connection to {@code base}'s host, through {@code proxy} when it is non-null
     * ({@code http://[user:pass@]host:port}; user info becomes Basic proxy credentials). TLS
     * sockets come from {@code tlsFactory} (null: the JDK's default, verifying against its trust store).
     */
    static Http1Connection open(URI base, URI proxy, long maxBodyBytes, SSLSocketFactory tlsFactory, long deadlineNanos) throws IOException {
        boolean tls = "https".equalsIgnoreCase(base.getScheme());
        int port = base.getPort() > 0 ? base.getPort() : tls ? 443 : 80;
        String proxyAuth = proxy == null || proxy.getRawUserInfo() == null ? ""
                : "Proxy-Authorization: Basic " + Base64.getEncoder().encodeToString(
                        java.net.URLDecoder.decode(proxy.getRawUserInfo(), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8)) + "\r\n";
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setKeepAlive(true);
            if (proxy != null) {
                int pport = proxy.getPort() > 0 ? proxy.getPort() : "https".equalsIgnoreCase(proxy.getScheme()) ? 443 : 80;
                s.connect(new InetSocketAddress(proxy.getHost(), pport), remainingMillis(deadlineNanos));
            } else {
                s.connect(new InetSocketAddress(base.getHost(), port), remainingMillis(deadlineNanos));
            }
            if (proxy != null && !tls) {
                String prefix = "http://" + hostHeader(base);
                return new Http1Connection(s, maxBodyBytes, prefix, proxyAuth);
            }
            if (proxy != null) tunnel(s, base.getHost(), port, proxyAuth, deadlineNanos);
            if (tls) {
                SSLSocket ssl = (SSLSocket) (tlsFactory != null ? tlsFactory : (SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(s, base.getHost(), port, true);
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(p);
                ssl.setSoTimeout(remainingMillis(deadlineNanos));
                ssl.startHandshake();
                return new Http1Connection(ssl, maxBodyBytes, null, "");
            }
            return new Http1Connection(s, maxBodyBytes, null, "");
        } catch (SocketTimeoutException e) {
            s.close();
            throw new HttpTimeoutException("connect timed out");
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The Host header value for a base URL: host, and the port when one is given. */
    static String hostHeader(URI base) {
        String h = base.getHost();
        if (h.indexOf(':') >= 0 && !h.startsWith("[")) h = "[" + h + "]";
        return h + (base.getPort() > 0 ? ":" + base.getPort() : "");
    }

    /** Asks the proxy on {@code s} for a tunnel to host:port; returns when it answered 2xx. */
    private static void tunnel(Socket s, String host, int port, String proxyAuth, long deadlineNanos) throws IOException {
        String authority = (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
        String req = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n" + proxyAuth + "\r\n";
        s.getOutputStream().write(req.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        // Read the proxy's answer byte by byte: nothing after its blank line may be consumed,
        // those bytes belong to the TLS handshake.
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!(head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n"))
                && !(head.length() >= 2 && head.substring(head.length() - 2).equals("\n\n"))) {
            s.setSoTimeout(remainingMillis(deadlineNanos));
            int b;
            try {
                b = in.read();
            } catch (SocketTimeoutException e) {
                throw new HttpTimeoutException("proxy did not answer CONNECT in time");
            }
            if (b < 0) throw new EOFException("proxy closed the connection during CONNECT");
            head.append((char) b);
            if (head.length() > MAX_LINE) throw new IOException("proxy's answer to CONNECT is too long");
        }
        String status = head.toString().lines().findFirst().orElse("");
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].startsWith("2")) {
            throw new IOException("proxy refused CONNECT to " + authority + ": " + printable(status));
        }
    }

    boolean reusable() { return reusable && !socket.isClosed(); }

    /** Sends the request and reads the whole response. On any error the connection is unusable. */
    Response post(String hostHeader, String path, String extraHeaders, byte[] body, long deadlineNanos) throws IOException {
        return exchange("POST", hostHeader, path, extraHeaders, body, deadlineNanos);
    }

    /** Sends a request ({@code body} null for none) and reads the whole response. */
    Response exchange(String method, String hostHeader, String path, String extraHeaders, byte[] body, long deadlineNanos) throws IOException {
        if (body == null) body = new byte[0];
        try {
            String target = absolutePrefix == null ? path : absolutePrefix + path;
            String head = method + " " + target + " HTTP/1.1\r\nHost: " + hostHeader
                    + "\r\nContent-Type: application/json\r\nAccept: application/json\r\nAccept-Encoding: gzip\r\nContent-Length: " + body.length
                    + "\r\n" + proxyAuth + extraHeaders + "\r\n";
            byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = new byte[h.length + body.length];
            System.arraycopy(h, 0, all, 0, h.length);
            System.arraycopy(body, 0, all, h.length, body.length);
            out.write(all);
            out.flush();
            return readResponse(deadlineNanos);
        } catch (IOException | RuntimeException e) {
            reusable = false;
            throw e;
        }
    }

    /** True when nothing of a response had arrived when the error happened (a stale keep-alive connection). */
    boolean nothingRead() { return bytesRead == 0; }

    private long bytesRead;

    private Response readResponse(long deadlineNanos) throws IOException {
        bytesRead = 0;
        for (int interim = 0; ; interim++) {
            int code = readStatus(deadlineNanos);
            Map<String, String> headers = readHeaders(deadlineNanos);
            if (code / 100 == 1) { // 100 Continue, 103 Early Hints, ...: a final response follows
                if (code == 101) throw new IOException("server switched protocols (HTTP 101); not an OpenAI-compatible answer");
                if (interim + 1 >= MAX_INTERIM) throw new IOException("more than " + MAX_INTERIM + " interim (1xx) responses; giving up on this server");
                continue;
            }
            return new Response(code, headers, readBody(headers, deadlineNanos));
        }
    }

    private int readStatus(long deadlineNanos) throws IOException {
        String status = readLine(deadlineNanos);
        // "HTTP/1.1 200 OK"
        int sp = status.indexOf(' ');
        if (!status.startsWith("HTTP/") || sp < 0 || status.length() < sp + 4) throw new IOException("bad status line: " + printable(status));
        try {
            return Integer.parseInt(status.substring(sp + 1, sp + 4));
        } catch (NumberFormatException e) {
            throw new IOException("bad status line: " + printable(status));
        }
    }

    private Map<String, String> readHeaders(long deadlineNanos) throws IOException {
        Map<String, String> headers = new HashMap<>();
        String line;
        int count = 0;
        while (!(line = readLine(deadlineNanos)).isEmpty()) {
            if (++count > MAX_HEADERS) throw new IOException("more than " + MAX_HEADERS + " header lines");
            int c = line.indexOf(':');
            if (c <= 0) throw new IOException("bad header line: " + printable(line));
            headers.put(line.substring(0, c).strip().toLowerCase(Locale.ROOT), line.substring(c + 1).strip());
        }
        return headers;
    }

    private byte[] readBody(Map<String, String> headers, long deadlineNanos) throws IOException {
        BoundedBuffer body = new BoundedBuffer(maxBodyBytes, "response body");
        String te = headers.get("transfer-encoding");
        String cl = headers.get("content-length");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            readChunked(body, deadlineNanos);
        } else if (cl != null) {
            long n;
            try {
                n = Long.parseLong(cl);
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length: " + printable(cl));
            }
            if (n < 0) throw new IOException("bad Content-Length: " + printable(cl));
            if (n > maxBodyBytes) throw new IOException("response declares " + n + " bytes, more than the limit of " + maxBodyBytes + " (--max-response-bytes)");
            readExactly(body, n, deadlineNanos);
        } else {
            readToEof(body, deadlineNanos);
            reusable = false;
        }
        if ("close".equalsIgnoreCase(headers.get("connection"))) reusable = false;
        String ce = headers.get("content-encoding");
        if (ce == null || ce.isBlank() || ce.equalsIgnoreCase("identity")) return body.toByteArray();
        if (ce.strip().equalsIgnoreCase("gzip") || ce.strip().equalsIgnoreCase("x-gzip")) return gunzip(body.toByteArray(), maxBodyBytes);
        throw new IOException("unsupported Content-Encoding '" + printable(ce) + "' (only gzip was offered)");
    }

    /** Decodes a gzip body, refusing output past {@code max} bytes (a small bomb must not fill memory). */
    static byte[] gunzip(byte[] raw, long max) throws IOException {
        BoundedBuffer outBuf = new BoundedBuffer(max, "decoded (gunzipped) response body");
        try (GZIPInputStream z = new GZIPInputStream(new ByteArrayInputStream(raw), 8192)) {
            byte[] chunk = new byte[16 * 1024];
            int n;
            while ((n = z.read(chunk)) > 0) outBuf.write(chunk, 0, n);
        } catch (java.util.zip.ZipException e) {
            throw new IOException("bad gzip response body: " + e.getMessage(), e);
        }
        return outBuf.toByteArray();
    }

    private void readChunked(BoundedBuffer acc, long deadlineNanos) throws IOException {
        while (true) {
            String sizeLine = readLine(deadlineNanos);
            int semi = sizeLine.indexOf(';');
            String hex = (semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).strip();
            long size;
            try {
                if (hex.isEmpty() || hex.length() > 15) throw new NumberFormatException();
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size: " + printable(sizeLine));
            }
            if (size < 0) throw new IOException("bad chunk size: " + printable(sizeLine));
            if (size == 0) {
                int trailers = 0;
                while (!readLine(deadlineNanos).isEmpty()) {
                    if (++trailers > MAX_HEADERS) throw new IOException("more than " + MAX_HEADERS + " trailer lines");
                }
                return;
            }
            if (acc.size() + size > maxBodyBytes) {
                throw new IOException("chunked response grows past the limit of " + maxBodyBytes + " bytes (--max-response-bytes)");
            }
            readExactly(acc, size, deadlineNanos);
            if (!readLine(deadlineNanos).isEmpty()) throw new IOException("missing CRLF after chunk");
        }
    }

    /** Appends exactly {@code n} bytes as they arrive (no allocation of {@code n} up front). */
    private void readExactly(BoundedBuffer acc, long n, long deadlineNanos) throws IOException {
        long left = n;
        while (left > 0) {
            if (pos == lim) fill(deadlineNanos);
            int k = (int) Math.min(left, lim - pos);
            acc.write(buf, pos, k);
            pos += k;
            left -= k;
        }
    }

    private void readToEof(BoundedBuffer acc, long deadlineNanos) throws IOException {
        while (true) {
            if (pos == lim) {
                try {
                    fill(deadlineNanos);
                } catch (EOFException e) {
                    return;
                }
            }
            acc.write(buf, pos, lim - pos);
            pos = lim;
        }
    }

    private String readLine(long deadlineNanos) throws IOException {
        StringBuilder sb = null;
        while (true) {
            if (pos == lim) fill(deadlineNanos);
            for (int i = pos; i < lim; i++) {
                if (buf[i] == '\n') {
                    int end = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
                    String part = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1);
                    pos = i + 1;
                    if (sb == null) return part;
                    sb.append(part);
                    int l = sb.length();
                    if (l > 0 && sb.charAt(l - 1) == '\r') sb.setLength(l - 1);
                    if (sb.length() > MAX_LINE) throw new IOException("header line too long");
                    return sb.toString();
                }
            }
            if (sb == null) sb = new StringBuilder();
            sb.append(new String(buf, pos, lim - pos, StandardCharsets.ISO_8859_1));
            pos = lim;
            if (sb.length() > MAX_LINE) throw new IOException("header line too long");
        }
    }

    private void fill(long deadlineNanos) throws IOException {
        socket.setSoTimeout(remainingMillis(deadlineNanos));
        int n;
        try {
            n = in.read(buf, 0, buf.length);
        } catch (SocketTimeoutException e) {
            throw new HttpTimeoutException("request timed out");
        }
        if (n < 0) throw new EOFException(bytesRead == 0 ? "connection closed before any response" : "connection closed mid-response");
        bytesRead += n;
        pos = 0;
        lim = n;
    }

    private static int remainingMillis(long deadlineNanos) throws HttpTimeoutException {
        long ms = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (ms <= 0) throw new HttpTimeoutException("request timed out");
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }

    /** Text from a server, cut short and with control characters escaped, fit for an error message. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 200; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        if (sb.length() >= 200) sb.append("...");
        return sb.toString();
    }

    @Override
    public void close() {
        reusable = false;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** A byte buffer that grows as data arrives and refuses to grow past a limit. */
    static final class BoundedBuffer {
        private byte[] data = new byte[1024];
        private int size;
        private final long max;
        private final String what;

        BoundedBuffer(long max, String what) {
            this.max = Math.min(max, Integer.MAX_VALUE - 16);
            this.what = what;
        }

        int size() { return size; }

        void write(byte[] b, int off, int len) throws IOException {
            if ((long) size + len > max) throw new IOException(what + " exceeds the limit of " + max + " bytes (--max-response-bytes)");
            if (size + len > data.length) data = Arrays.copyOf(data, (int) Math.min(max, Math.max((long) data.length * 2, size + len)));
            System.arraycopy(b, off, data, size, len);
            size += len;
        }

        byte[] toByteArray() { return Arrays.copyOf(data, size); }
    }
}
