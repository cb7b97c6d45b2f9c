package dev.selftaught.server.http;

/** A request the HTTP layer refuses before any handler sees it; the connection closes after the answer. */
final class HttpError extends Exception {
    final int status;
    final String code;

    HttpError(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }
}
