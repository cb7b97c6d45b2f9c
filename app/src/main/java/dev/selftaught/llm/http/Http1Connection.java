package dev.selftaught.llm.http;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
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
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One keep-alive HTTP/1.1 connection with a blocking socket, used from one (virtual) thread at a
 * time. It speaks just what an OpenAI-compatible server needs: a POST with a JSON body, and a
 * response with Content-Length, chunked encoding, or a body up to connection close. Every read
 * observes the request's deadline.
 */
final class Http1Connection implements AutoCloseable {

    /** A parsed response: status, headers (names lower-cased) and the whole body. */
    record Response(int status, Map<String, String> headers, byte[] body) {}

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[16 * 1024];
    private int pos, lim;
    private boolean reusable = true;
    long lastUsedNanos;

    private Http1Connection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static Http1Connection open(URI base, long deadlineNanos) throws IOException {
        boolean tls = "https".equalsIgnoreCase(base.getScheme());
        int port = base.getPort() > 0 ? base.getPort() : tls ? 443 : 80;
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setKeepAlive(true);
            s.connect(new InetSocketAddress(base.getHost(), port), remainingMillis(deadlineNanos));
            if (tls) {
                SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(s, base.getHost(), port, true);
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(p);
                ssl.setSoTimeout(remainingMillis(deadlineNanos));
                ssl.startHandshake();
                return new Http1Connection(ssl);
            }
            return new Http1Connection(s);
        } catch (SocketTimeoutException e) {
            s.close();
            throw new HttpTimeoutException("connect timed out");
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
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
            String head = method + " " + path + " HTTP/1.1\r\nHost: " + hostHeader
                    + "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: " + body.length
                    + "\r\n" + extraHeaders + "\r\n";
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
        String status = readLine(deadlineNanos);
        // "HTTP/1.1 200 OK"
        int sp = status.indexOf(' ');
        if (!status.startsWith("HTTP/") || sp < 0 || status.length() < sp + 4) throw new IOException("bad status line: " + status);
        int code;
        try {
            code = Integer.parseInt(status.substring(sp + 1, sp + 4));
        } catch (NumberFormatException e) {
            throw new IOException("bad status line: " + status);
        }
        Map<String, String> headers = new HashMap<>();
        String line;
        while (!(line = readLine(deadlineNanos)).isEmpty()) {
            int c = line.indexOf(':');
            if (c <= 0) throw new IOException("bad header line: " + line);
            headers.put(line.substring(0, c).strip().toLowerCase(Locale.ROOT), line.substring(c + 1).strip());
        }
        if (code / 100 == 1) return readResponse(deadlineNanos); // 100 Continue and friends
        byte[] body;
        String te = headers.get("transfer-encoding");
        String cl = headers.get("content-length");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = readChunked(deadlineNanos);
        } else if (cl != null) {
            long n;
            try {
                n = Long.parseLong(cl);
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length: " + cl);
            }
            if (n < 0 || n > Integer.MAX_VALUE - 16) throw new IOException("bad Content-Length: " + cl);
            body = readExactly((int) n, deadlineNanos);
        } else {
            body = readToEof(deadlineNanos);
            reusable = false;
        }
        if ("close".equalsIgnoreCase(headers.get("connection"))) reusable = false;
        return new Response(code, headers, body);
    }

    private byte[] readChunked(long deadlineNanos) throws IOException {
        var acc = new java.io.ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(deadlineNanos);
            int semi = sizeLine.indexOf(';');
            int size;
            try {
                size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).strip(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size: " + sizeLine);
            }
            if (size < 0) throw new IOException("bad chunk size: " + sizeLine);
            if (size == 0) {
                while (!readLine(deadlineNanos).isEmpty()) {
                    // trailers, ignored
                }
                return acc.toByteArray();
            }
            acc.write(readExactly(size, deadlineNanos));
            if (!readLine(deadlineNanos).isEmpty()) throw new IOException("missing CRLF after chunk");
        }
    }

    private byte[] readExactly(int n, long deadlineNanos) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        while (off < n) {
            if (pos == lim) fill(deadlineNanos);
            int k = Math.min(n - off, lim - pos);
            System.arraycopy(buf, pos, b, off, k);
            pos += k;
            off += k;
        }
        return b;
    }

    private byte[] readToEof(long deadlineNanos) throws IOException {
        var acc = new java.io.ByteArrayOutputStream();
        while (true) {
            if (pos == lim) {
                try {
                    fill(deadlineNanos);
                } catch (EOFException e) {
                    return acc.toByteArray();
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
                    return sb.toString();
                }
            }
            if (sb == null) sb = new StringBuilder();
            sb.append(new String(buf, pos, lim - pos, StandardCharsets.ISO_8859_1));
            pos = lim;
            if (sb.length() > 64 * 1024) throw new IOException("header line too long");
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

    @Override
    public void close() {
        reusable = false;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
