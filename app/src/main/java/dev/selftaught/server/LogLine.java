package dev.selftaught.server;

/**
 * The server's log lines: one per request, nothing a client sends can start a new line or
 * hide text. Control characters, non-ASCII, backslashes and quotes are written as {@code %XX}
 * (every byte of their UTF-8), and a value is cut at 256 characters.
 */
final class LogLine {
    private static final int MAX = 256;

    private LogLine() {}

    static String format(String remote, String method, String target, int status, long nanos) {
        String st = status == 0 ? "499" : Integer.toString(status); // 499: the client closed before an answer
        return escape(remote) + " " + escape(method) + " " + escape(target) + " " + st + " " + (nanos / 1_000_000) + "ms";
    }

    static String escape(String s) {
        if (s == null) return "-";
        StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX) + 8);
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (sb.length() >= MAX) {
                sb.append("...");
                break;
            }
            int c = b & 0xff;
            if (c < 0x20 || c >= 0x7f || c == '\\' || c == '"') sb.append('%').append(String.format("%02X", c));
            else sb.append((char) c);
        }
        return sb.toString();
    }
}
