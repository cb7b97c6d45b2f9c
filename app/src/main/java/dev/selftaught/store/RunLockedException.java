package dev.selftaught.store;

/** Another process (or another part of this one) owns the run directory. */
public class RunLockedException extends RuntimeException {
    public RunLockedException(String message) { super(message); }
}
