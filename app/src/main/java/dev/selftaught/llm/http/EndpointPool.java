package dev.selftaught.llm.http;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Client-side load balancing over several OpenAI-compatible endpoints.
 * <p>A request takes the eligible endpoint with the fewest requests in flight (ties go round-robin),
 * waiting while every eligible endpoint is at its concurrency limit. An endpoint that fails
 * {@code ejectAfter} times in a row is taken out of rotation for a cool-down (doubling on each
 * repeated ejection, up to {@code maxCooldown}); when the cool-down has passed, one probe request
 * may go to it, and its success puts the endpoint back. When no endpoint is healthy, all of them
 * are eligible: ejection only helps when there is somewhere else to go.
 */
final class EndpointPool {

    static final class Endpoint {
        final URI base;
        final int index;
        int inFlight;
        int consecutiveFailures;
        boolean down;
        boolean probing;
        long downUntilNanos;
        long cooldownNanos;
        long ejections;

        Endpoint(URI base, int index, long cooldownNanos) {
            this.base = base;
            this.index = index;
            this.cooldownNanos = cooldownNanos;
        }

        @Override
        public String toString() { return display(base); }
    }

    /** A base URL fit for messages and logs: scheme, host, port and path, never user info or query. */
    static String display(URI u) {
        String host = u.getHost();
        if (host != null && host.indexOf(':') >= 0 && !host.startsWith("[")) host = "[" + host + "]";
        return u.getScheme() + "://" + host + (u.getPort() > 0 ? ":" + u.getPort() : "") + (u.getRawPath() == null ? "" : u.getRawPath());
    }

    private final List<Endpoint> endpoints = new ArrayList<>();
    private final int limit;
    private final int ejectAfter;
    private final long baseCooldown;
    private final long maxCooldown;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private int rotation;

    EndpointPool(List<URI> bases, int perEndpointLimit, int ejectAfter, Duration cooldown, Duration maxCooldown) {
        this.limit = perEndpointLimit;
        this.ejectAfter = ejectAfter;
        this.baseCooldown = cooldown.toNanos();
        this.maxCooldown = Math.max(maxCooldown.toNanos(), baseCooldown);
        for (int i = 0; i < bases.size(); i++) endpoints.add(new Endpoint(bases.get(i), i, baseCooldown));
    }

    List<Endpoint> endpoints() { return endpoints; }

    /** Blocks until some endpoint has a free slot and returns it, its slot taken. */
    Endpoint acquire() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (true) {
                long now = System.nanoTime();
                boolean anyHealthy = false;
                for (Endpoint e : endpoints) anyHealthy |= !e.down;
                Endpoint best = null;
                long nextProbe = Long.MAX_VALUE;
                int n = endpoints.size();
                int start = rotation++ % n;
                for (int k = 0; k < n; k++) {
                    Endpoint e = endpoints.get((start + k) % n);
                    if (e.inFlight >= limit) continue;
                    if (e.down && anyHealthy) {
                        if (e.probing) continue;
                        if (now < e.downUntilNanos) {
                            nextProbe = Math.min(nextProbe, e.downUntilNanos - now);
                            continue;
                        }
                    }
                    if (best == null || e.inFlight < best.inFlight) best = e;
                }
                if (best != null) {
                    best.inFlight++;
                    if (best.down && anyHealthy) best.probing = true;
                    return best;
                }
                if (nextProbe == Long.MAX_VALUE) changed.await();
                else changed.awaitNanos(nextProbe);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Gives the slot back. {@code healthFailure}: the endpoint itself misbehaved (not e.g. a 400 or a 429). */
    void release(Endpoint e, boolean healthFailure) {
        lock.lock();
        try {
            e.inFlight--;
            boolean wasProbe = e.probing;
            e.probing = false;
            if (!healthFailure) {
                e.consecutiveFailures = 0;
                if (e.down) {
                    e.down = false;
                    e.cooldownNanos = baseCooldown;
                }
            } else {
                e.consecutiveFailures++;
                if (wasProbe || (!e.down && e.consecutiveFailures >= ejectAfter)) {
                    if (wasProbe) e.cooldownNanos = Math.min(maxCooldown, e.cooldownNanos * 2);
                    e.down = true;
                    e.ejections++;
                    e.downUntilNanos = System.nanoTime() + e.cooldownNanos;
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** True when the endpoint is currently out of rotation (for tests and status lines). */
    boolean isDown(int index) {
        lock.lock();
        try {
            return endpoints.get(index).down;
        } finally {
            lock.unlock();
        }
    }

    long ejections(int index) {
        lock.lock();
        try {
            return endpoints.get(index).ejections;
        } finally {
            lock.unlock();
        }
    }

    static long millis(long nanos) { return TimeUnit.NANOSECONDS.toMillis(nanos); }
}
