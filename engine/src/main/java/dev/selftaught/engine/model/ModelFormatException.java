package dev.selftaught.engine.model;

import java.nio.file.Path;

/**
 * A checkpoint or tokenizer file that cannot be read: wrong magic, truncated, unsupported type,
 * inconsistent shapes. The message names the file and, where it helps, the byte offset or field,
 * so the user knows which file is wrong and why. Callers outside the engine turn it into their
 * own "bad input" error.
 */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) { super(message); }

    public ModelFormatException(String message, Throwable cause) { super(message, cause); }

    public static ModelFormatException at(Path file, String problem) {
        return new ModelFormatException(file + ": " + problem);
    }
}
