package dev.selftaught.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real TCP server on 127.0.0.1 that reads HTTP/1.1 requests and answers each with whatever raw
 * bytes its handler writes: a hostile server for client tests (lying lengths, endless 1xx
 * responses, gzip bombs). Every request head it read is kept in {@link #heads}.
 */
public final class RawHttpServer implements AutoCloseable {

    /** Writes the raw response to one request; return false to close the connection afterwards. */
    public interface Handler {
        boolean answer(String head, byte[] body, OutputStream out) throws IOException;
    }

    public final List<String> heads = new CopyOnWriteArrayList<>();
    private final ServerSocket server;
    private final ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor();

    public RawHttpServer(Handler handler) throws IOException {
        server = listen(exec, s -> serve(s, handler));
    }

    /** A server socket on 127.0.0.1 (any free port) whose connections {@code exec} hands to {@code each}. */
    static ServerSocket listen(ExecutorService exec, java.util.function.Consumer<Socket> each) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        exec.submit(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                exec.submit(() -> each.accept(s));
            }
        });
        return server;
    }

    public int port() { return server.getLocalPort(); }

    public String url() { return "http://127.0.0.1:" + port() + "/v1"; }

    private void serve(Socket s, Handler handler) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) return;
                heads.add(head);
                int len = 0;
                for (String line : head.split("\r\n")) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) len = Integer.parseInt(line.substring(15).strip());
                }
                byte[] body = in.readNBytes(len);
                boolean keep = handler.answer(head, body, out);
                out.flush();
                if (!keep) return;
            }
        } catch (IOException ignored) {
            // the client went away
        }
    }

    /** The request head up to its blank line, or null at end of stream. */
    public static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c, state = 0;
        while ((c = in.read()) >= 0) {
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) ? state + 1 : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) return b.toString(StandardCharsets.ISO_8859_1);
        }
        return null;
    }

    /** A complete 200 response with a chat completion answering {@code text}. */
    public static byte[] chatOk(String text) {
        String body = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + text
                + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8);
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
