package dev.selftaught.llm;

/**
 * The model refuses this request as asked (its prompt does not fit the context, a sampling field
 * the backend does not support): not retryable, and the caller's fault — {@code serve} answers it
 * with 400.
 *
 * @see #param() the request field at fault, or null
 */
public class InvalidModelRequestException extends ModelException {
    private final String param;
    private final String code;

    public InvalidModelRequestException(String message, String param, String code) {
        super(message, false);
        this.param = param;
        this.code = code;
    }

    public String param() { return param; }

    /** A short machine-readable reason, e.g. {@code context_length_exceeded}. */
    public String code() { return code; }
}
