package dev.selftaught.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bytes a client sends, read by a virtual thread of their own into a bounded buffer. Two
 * things follow from reading ahead: every read by the connection has a deadline (header, body
 * and idle timeouts are waits on a condition, whatever the client trickles), and a client that
 * hangs up is noticed at once even while its request is being decoded, so its work can be
 * cancelled ({@link #onClose}). Reading stops while the buffer is full (back-pressure), so a
 * client pipelining a flood is not buffered without bound.
 */
final class Incoming {
    /** A read's deadline passed. */
    static final class Timeout extends Exception {
        Timeout() {
            super("timed out", null, false, false);
        }
    }

    private final InputStream in;
    private final byte[] buf;
    private int start, end;
    private boolean eof, stopped;
    private Runnable onClose;
    private long received;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    Incoming(InputStream in, int capacity) {
        this.in = in;
        this.buf = new byte[capacity];
    }

    void start() {
        Thread.ofVirtual().name("http-in").start(this::pump);
    }

    private void pump() {
        byte[] tmp = new byte[8192];
        try {
            while (true) {
                int space;
                lock.lock();
                try {
                    while ((space = buf.length - (end - start)) == 0 && !stopped) changed.await();
                    if (stopped) return;
                } finally {
                    lock.unlock();
                }
                int n = in.read(tmp, 0, Math.min(tmp.length, space));
                if (n < 0) break;
                lock.lock();
                try {
                    if (end + n > buf.length) {
                        System.arraycopy(buf, start, buf, 0, end - start);
                        end -= start;
                        start = 0;
                    }
                    System.arraycopy(tmp, 0, buf, end, n);
                    end += n;
                    received += n;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException | InterruptedException e) {
            // reset or closed by us: the same as end of input
        }
        Runnable r;
        lock.lock();
        try {
            eof = true;
            changed.signalAll();
            r = onClose;
            onClose = null;
        } finally {
            lock.unlock();
        }
        if (r != null) r.run();
    }

    /** Stops reading (the connection is closing). */
    void stop() {
        lock.lock();
        try {
            stopped = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until a byte is available (true) or the client closed (false). */
    boolean await(long deadlineNanos) throws Timeout, InterruptedException {
        lock.lock();
        try {
            while (start == end) {
                if (eof) return false;
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) throw new Timeout();
                changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The next byte, or -1 when the client closed. */
    int read(long deadlineNanos) throws Timeout, InterruptedException {
        lock.lock();
        try {
            if (!await(deadlineNanos)) return -1;
            if (end - start == buf.length) changed.signalAll(); // the pump waits for space
            return buf[start++] & 0xff;
        } finally {
            lock.unlock();
        }
    }

    /** Up to {@code len} bytes (at least one), or -1 when the client closed. */
    int read(byte[] b, int off, int len, long deadlineNanos) throws Timeout, InterruptedException {
        lock.lock();
        try {
            if (!await(deadlineNanos)) return -1;
            int n = Math.min(len, end - start);
            System.arraycopy(buf, start, b, off, n);
            start += n;
            changed.signalAll();
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes received so far (a connection that sent nothing is closed without an answer). */
    long received() {
        lock.lock();
        try {
            return received;
        } finally {
            lock.unlock();
        }
    }

    boolean closed() {
        lock.lock();
        try {
            return eof;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code r} once when the client closes its side (at once if it already has); null
     * forgets a previous one. Called from the reading thread: keep it quick.
     */
    void onClose(Runnable r) {
        boolean now;
        lock.lock();
        try {
            now = eof && r != null;
            onClose = now ? null : r;
        } finally {
            lock.unlock();
        }
        if (now) r.run();
    }

    /** Discards input for a lingering close: until end of input, {@code max} bytes or the deadline. */
    void drain(long max, long deadlineNanos) {
        long n = 0;
        byte[] sink = new byte[8192];
        try {
            while (n < max) {
                int r = read(sink, 0, sink.length, deadlineNanos);
                if (r < 0) return;
                n += r;
            }
        } catch (Timeout | InterruptedException e) {
            // good enough
        }
    }

    static long deadline(java.time.Duration d) {
        return System.nanoTime() + TimeUnit.NANOSECONDS.convert(d);
    }
}
