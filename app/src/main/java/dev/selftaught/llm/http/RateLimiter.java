package dev.selftaught.llm.http;

/**
 * A token bucket for per-minute limits (requests or tokens). The bucket holds one second's
 * allowance (at least 1), so bursts stay small, and refills continuously; {@link #acquire} may drive it into debt by a
 * large request, which later callers then wait out, so the average rate holds.
 */
final class RateLimiter {
    private final double perNano;
    private final double capacity;
    private double available;
    private long last;

    /** @param perMinute allowance per minute; must be > 0 */
    RateLimiter(double perMinute) {
        this.capacity = Math.max(1, perMinute / 60);
        this.perNano = perMinute / 60e9;
        this.available = capacity;
        this.last = System.nanoTime();
    }

    /** Takes {@code amount} from the bucket, sleeping until the bucket is not in debt. */
    void acquire(double amount) throws InterruptedException {
        long waitNanos;
        synchronized (this) {
            refill();
            available -= amount;
            waitNanos = available >= 0 ? 0 : (long) (-available / perNano);
        }
        if (waitNanos > 0) Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
    }

    /** Gives back (positive) or takes more (negative) once the true amount is known. */
    synchronized void adjust(double delta) {
        refill();
        available = Math.min(capacity, available + delta);
    }

    private void refill() {
        long now = System.nanoTime();
        available = Math.min(capacity, available + (now - last) * perNano);
        last = now;
    }
}
