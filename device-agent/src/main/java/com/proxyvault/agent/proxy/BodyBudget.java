package com.proxyvault.agent.proxy;

import org.jboss.logging.Logger;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bytes of HTTP request bodies the agent holds at once, over all its proxies and connections: one instance per
 * agent ({@link ProxyListeners}). Bodies are buffered whole before they are forwarded (up to 16 MiB each,
 * {@link ProtocolDetector.BodyAggregator}), so without a bound the uploads in flight decide the agent's memory: 24
 * concurrent 16 MiB uploads took it from ~270 MB to 522 MB RSS under {@code -Xmx256m}, and some connections were reset
 * with no answer and no log line (Netty's direct memory ran out; hostile review, 2026-12-03, L5).
 *
 * <p>Bytes are taken from the budget as they arrive, whether the body is framed by {@code Content-Length} or chunked,
 * and given back when the aggregated request is released: written to the origin, answered without forwarding, or
 * dropped with its connection. A declared {@code Content-Length} is checked against what is free when the head
 * arrives, so a body that cannot fit is refused before a byte of it is read, but it is not set aside then: a client
 * could otherwise announce 16 MiB six times, send nothing, and hold the whole default budget until the idle timeout,
 * refusing every other upload on the agent. A request whose body does not fit gets {@code 503} and a close.
 *
 * <p>Thread-safe: every event loop takes and gives back bytes (one CAS each).
 */
final class BodyBudget {

    private static final Logger LOG = Logger.getLogger(BodyBudget.class);

    private final long limitBytes;
    private final AtomicLong held = new AtomicLong();
    private final LongAdder refused = new LongAdder();
    /** Guarded by the warning's lock: {@link #refused} at the last WARN line. */
    private long refusedAtLastLine;
    private final RateLimitedWarning warning;

    BodyBudget(long limitBytes) {
        this.limitBytes = limitBytes;
        this.warning = new RateLimitedWarning(LOG, RateLimitedWarning.INTERVAL, this::refusalLine);
    }

    /** Whether {@code bytes} more would fit right now (nothing is taken). */
    boolean fits(long bytes) {
        return held.get() + bytes <= limitBytes;
    }

    /** Takes {@code bytes} if they fit; false (nothing taken) otherwise. Exact under races. */
    boolean tryTake(long bytes) {
        while (true) {
            long now = held.get();
            if (now + bytes > limitBytes) {
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives back {@code bytes} taken before. */
    void giveBack(long bytes) {
        held.addAndGet(-bytes);
    }

    /** A request was refused because its body did not fit: counted, and a rate-limited WARN. */
    void refused() {
        refused.increment();
        warning.happened();
    }

    /** Bytes of request bodies held right now. */
    long held() {
        return held.get();
    }

    long limit() {
        return limitBytes;
    }

    /** Requests answered 503 for want of budget since start. */
    long refusals() {
        return refused.sum();
    }

    private String refusalLine() {
        long now = refused.sum();
        long since = now - refusedAtLastLine;
        refusedAtLastLine = now;
        if (since == 0) {
            return null;
        }
        return "Answered 503 to " + since + " request(s) in the last " + RateLimitedWarning.INTERVAL.toSeconds()
                + " s or less: their bodies did not fit the request-body budget of " + limitBytes + " bytes (" + held()
                + " held now; AGENT_REQUEST_BODY_BUDGET_BYTES, docs/fleet.md \"Connection limits\")";
    }
}
