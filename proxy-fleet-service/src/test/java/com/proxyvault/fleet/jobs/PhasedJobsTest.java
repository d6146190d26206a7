package com.proxyvault.fleet.jobs;

import com.proxyvault.platform.vertx.VertxContexts;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link PhasedJobs} keeps what {@code @Scheduled(concurrentExecution = SKIP)} gave the fleet's jobs: never two runs
 * of one job at once, and a failed run does not stop the next. On a plain Vert.x, without Quarkus.
 */
class PhasedJobsTest {

    private final Vertx vertx = Vertx.vertx();
    private final PhasedJobs jobs = new PhasedJobs(vertx, new VertxContexts(vertx));

    @AfterEach
    void close() {
        jobs.stop(null);
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void shouldNeverRunOneJobTwiceAtOnceWhenARunOutlastsItsPeriod() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        // each run takes five periods: without the skip, ticks would start runs on top of it
        jobs.every("slow job", Duration.ofMillis(5), PhasedJobs.Phase.LIVENESS, () -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            return Uni.createFrom().emitter(done -> vertx.setTimer(25, id -> {
                running.decrementAndGet();
                finished.incrementAndGet();
                done.complete(null);
            }));
        });

        await().atMost(30, TimeUnit.SECONDS).until(() -> finished.get() >= 4);
        assertEquals(1, most.get());
    }

    @Test
    void shouldRunAJobAgainAfterARunFailed() {
        AtomicInteger runs = new AtomicInteger();
        jobs.every("failing job", Duration.ofMillis(5), PhasedJobs.Phase.EXPIRY, () -> {
            if (runs.incrementAndGet() == 1) {
                throw new IllegalStateException("the first run fails at once");
            }
            return runs.get() == 2 ? Uni.createFrom().failure(new IllegalStateException("the second run fails later"))
                    : Uni.createFrom().voidItem();
        });

        await().atMost(30, TimeUnit.SECONDS).until(() -> runs.get() >= 3);
    }
}
