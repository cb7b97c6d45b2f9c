package dev.selftaught.llm;

/**
 * A model call that failed. {@code retryable} tells callers (and the call store) whether trying
 * again may help: connection errors, timeouts, 408/409/429/5xx are retryable; a 400 is not.
 */
public class ModelException extends RuntimeException {
    private final boolean retryable;

    public ModelException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public ModelException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean retryable() { return retryable; }

    /**
     * Any failure of a call as a ModelException whose message names the failure and its causes
     * (class and message of each, e.g. {@code java.lang.OutOfMemoryError: Java heap space}), so
     * that what is stored and written says what went wrong instead of "no answer".
     */
    public static ModelException of(Throwable t) {
        if (t instanceof ModelException me) return me;
        StringBuilder sb = new StringBuilder(String.valueOf(t));
        int depth = 0;
        for (Throwable c = t.getCause(); c != null && c != t && depth < 5; c = c.getCause(), depth++) {
            sb.append("; caused by ").append(c);
        }
        return new ModelException(sb.toString(), false, t);
    }
}
