package dev.selftaught.server;

/**
 * Admission control: at most {@code capacity} completions (n × prompts of every admitted request)
 * are in the model at once, being decoded or waiting for a place in its batch. A request that
 * does not fit is refused at once (429), never queued without bound: under overload, clients
 * are told to come back rather than piling up work nobody may wait for.
 */
final class Admission {
    private final int capacity;
    private int used;

    Admission(int capacity) {
        this.capacity = capacity;
    }

    synchronized boolean tryAcquire(int completions) {
        if (used + completions > capacity) return false;
        used += completions;
        return true;
    }

    synchronized void release(int completions) {
        used -= completions;
    }

    synchronized int used() {
        return used;
    }
}
