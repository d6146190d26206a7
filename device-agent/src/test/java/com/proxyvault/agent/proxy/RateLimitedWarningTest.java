package com.proxyvault.agent.proxy;

import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A flood of refusals writes a WARN line at once and then at most one per interval, each with the count since the line
 * before, and the last occurrences of a burst are reported too (docs/fleet.md "Connection limits").
 */
class RateLimitedWarningTest {

    @Test
    void shouldWriteOneLineAtOnceAndOneForTheRestOfABurstAtTheIntervalsEnd() throws Exception {
        AtomicLong happened = new AtomicLong();
        AtomicLong reported = new AtomicLong();
        List<Long> lines = new CopyOnWriteArrayList<>();
        RateLimitedWarning warning = new RateLimitedWarning(Logger.getLogger(RateLimitedWarningTest.class), Duration.ofSeconds(1), () -> {
            long since = happened.get() - reported.getAndSet(happened.get());
            if (since == 0) {
                return null;
            }
            lines.add(since);
            return "refused " + since;
        });

        Runnable burst = () -> {
            for (int i = 0; i < 10_000; i++) {
                happened.incrementAndGet();
                warning.happened();
            }
        };
        Thread other = new Thread(burst);
        other.start();
        burst.run();
        other.join();
        assertEquals(1, lines.size(), "the first refusal at once, the rest of the burst held back: " + lines);

        await().atMost(Duration.ofSeconds(10)).until(() -> lines.size() == 2);
        assertEquals(20_000, lines.get(0) + lines.get(1), "every refusal in a line: " + lines);
        Thread.sleep(1_200);
        assertEquals(2, lines.size(), "nothing more to say, no more lines");
    }
}
