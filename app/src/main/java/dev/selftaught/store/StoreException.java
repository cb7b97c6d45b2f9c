package dev.selftaught.store;

/** The call store could not read or write (disk full, corrupt file, closed store). */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) { super(message, cause); }
}
