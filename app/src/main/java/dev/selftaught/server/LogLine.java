package dev.selftaught.server;

/**
 * The server's log lines: one per request, nothing a client sends can start a new line or
 * hide text. Control characters, non-ASCII, backslashes and quotes are written as {@code %XX}
 * (every byte of their UTF-8), and a value is cut at 256 characters.
 */
final class LogLine {
    private static final int MAX = 256;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private LogLine() {}

    static String format(String remote, String method, String target, int status, long nanos) {
        String st = status == 0 ? "499" : Integer.toString(status); // 499: the client closed before an answer
        return escape(remote) + " " + escape(method) + " " + escape(target) + " " + st + " " + (nanos / 1_000_000) + "ms";
    }

    static String escape(String s) {
        if (s == null) return "-";
        StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX) + 8);
        // Request heads are read as ISO-8859-1, one char per byte: those chars are escaped as the
        // byte they stand for; other text (messages) as its UTF-8 bytes.
        for (int i = 0; i < s.length(); i++) {
            if (sb.length() >= MAX) {
                sb.append("...");
                break;
            }
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
                sb.append(c);
            } else if (c < 0x100) {
                sb.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
            } else {
                for (byte b : String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    sb.append('%').append(HEX[(b >> 4) & 15]).append(HEX[b & 15]);
                }
            }
        }
        return sb.toString();
    }
}
