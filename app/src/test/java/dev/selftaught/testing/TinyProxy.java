package dev.selftaught.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small forward proxy on 127.0.0.1 for client tests: CONNECT tunnels (answering 200, or
 * {@link #refuseWith} when set) and absolute-form http requests (rewritten to origin form).
 * It keeps every request head it received and every byte it relayed from the client.
 */
public final class TinyProxy implements AutoCloseable {

    public final List<String> heads = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream fromClients = new ByteArrayOutputStream();
    /** When non-null, CONNECT is answered with this status line (e.g. "407 Proxy Authentication Required"). */
    public volatile String refuseWith;
    private final ServerSocket server;
    private final ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor();

    public TinyProxy() throws IOException {
        server = RawHttpServer.listen(exec, this::handle);
    }

    public String url() { return "http://127.0.0.1:" + server.getLocalPort(); }

    /** Everything clients sent through this proxy after their first request head. */
    public synchronized byte[] relayedFromClients() { return fromClients.toByteArray(); }

    private void handle(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            String head = RawHttpServer.readHead(in);
            if (head == null) return;
            heads.add(head);
            String[] first = head.substring(0, head.indexOf("\r\n")).split(" ");
            Socket target;
            if (first[0].equals("CONNECT")) {
                if (refuseWith != null) {
                    out.write(("HTTP/1.1 " + refuseWith + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    return;
                }
                String[] hp = first[1].split(":");
                target = new Socket(hp[0], Integer.parseInt(hp[1]));
                out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } else {
                URI u = URI.create(first[1]);
                target = new Socket(u.getHost(), u.getPort());
                StringBuilder rewritten = new StringBuilder(first[0] + " " + u.getRawPath() + " " + first[2] + "\r\n");
                for (String line : head.substring(head.indexOf("\r\n") + 2).split("\r\n")) {
                    if (!line.isEmpty() && !line.toLowerCase().startsWith("proxy-authorization:")) rewritten.append(line).append("\r\n");
                }
                rewritten.append("\r\n");
                target.getOutputStream().write(rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
            }
            try (target) {
                Socket t = target;
                var back = exec.submit(() -> {
                    try {
                        t.getInputStream().transferTo(out);
                    } catch (IOException ignored) {
                        // one side closed
                    }
                    try {
                        client.shutdownOutput();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                });
                byte[] buf = new byte[8192];
                OutputStream to = target.getOutputStream();
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (this) {
                        fromClients.write(buf, 0, n);
                    }
                    to.write(buf, 0, n);
                }
                target.shutdownOutput();
                back.get();
            }
        } catch (Exception ignored) {
            // a client or target went away
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        exec.shutdownNow();
    }
}
