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
}
