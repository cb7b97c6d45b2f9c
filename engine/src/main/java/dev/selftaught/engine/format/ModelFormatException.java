package dev.selftaught.engine.format;

import java.nio.file.Path;

/**
 * A checkpoint or tokenizer file that cannot be used: truncated, wrong magic, unsupported type,
 * inconsistent shapes. A subclass of the engine-wide {@link dev.selftaught.engine.model.ModelFormatException}
 * with helpers for offsets. The message always names the file and, where it applies, the tensor or
 * key and the byte offset, so the user knows which file is broken and where.
 */
public class ModelFormatException extends dev.selftaught.engine.model.ModelFormatException {
    public ModelFormatException(String message) { super(message); }

    public ModelFormatException(String message, Throwable cause) { super(message, cause); }

    /** "FILE: message" */
    public static ModelFormatException in(Path file, String message) {
        return new ModelFormatException(file + ": " + message);
    }

    /** "FILE: at offset N: message" */
    public static ModelFormatException at(Path file, long offset, String message) {
        return new ModelFormatException(file + ": at byte offset " + offset + ": " + message);
    }
}
