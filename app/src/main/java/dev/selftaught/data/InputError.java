package dev.selftaught.data;

/**
 * Bad input from the user: a malformed file, a missing or wrongly typed field, a bad option value.
 * The CLI prints the message as one line and exits with code 2. Messages name the file, the line
 * (when there is one) and the field, and say what to do.
 */
public class InputError extends RuntimeException {
    public InputError(String message) { super(message); }

    public InputError(String message, Throwable cause) { super(message, cause); }

    /** "FILE:LINE: field 'F': problem" — the one format every reader uses. */
    public static InputError at(Object file, long line, String field, String problem) {
        StringBuilder sb = new StringBuilder().append(file);
        if (line > 0) sb.append(':').append(line);
        sb.append(": ");
        if (field != null) sb.append("field '").append(field).append("': ");
        sb.append(problem);
        return new InputError(sb.toString());
    }
}
