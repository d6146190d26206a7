package com.proxyvault.platform.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Found trying the stack as a new user: every service logged {@code WARN This Gauge has been already registered
 * (postgresql.queue.size)} at start, because each PostgreSQL connection registers the client's gauges again
 * ({@link SqlClientMeters}). With several connections open, neither gauge is there and nothing is logged,
 * while the timers that add up every connection still count.
 */
@QuarkusTest
class SqlClientMetersTest {

    @Inject
    Pool pool;

    @Test
    void shouldRegisterNoPerConnectionGaugeWhenThePoolOpensSeveralConnections() {
        List<LogRecord> duplicates = new CopyOnWriteArrayList<>();
        Handler watch = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (String.valueOf(record.getMessage()).contains("already registered")) {
                    duplicates.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        watch.setLevel(Level.ALL);
        Logger meterRegistryLog = Logger.getLogger("io.micrometer.core.instrument.MeterRegistry");
        meterRegistryLog.addHandler(watch);
        try {
            // Eight statements at once, each holding its connection for a moment: the pool opens several.
            Uni.join().all(IntStream.range(0, 8)
                            .mapToObj(i -> pool.query("select pg_sleep(0.2)").execute().replaceWithVoid()).toList())
                    .andFailFast().await().atMost(Duration.ofSeconds(30));
        } finally {
            meterRegistryLog.removeHandler(watch);
        }
        assertNull(Metrics.globalRegistry.find("postgresql.queue.size").gauge());
        assertNull(Metrics.globalRegistry.find("postgresql.current").gauge());
        assertNotNull(Metrics.globalRegistry.find("sql.pool.queue.size").gauge(), "the pool's own queue is still measured");
        Timer processing = Metrics.globalRegistry.find("postgresql.processing").timer();
        assertNotNull(processing, "the client's timers stay");
        assertTrue(processing.count() >= 8, "they count every connection's statements: " + processing.count());
        assertEquals(List.of(), duplicates.stream().map(LogRecord::getMessage).toList());
    }

    @Test
    void shouldDenyOnlyThoseTwoGauges() {
        Gauge.builder("postgresql.queue.size", () -> 1).tags("clientName", "test", "clientType", "sql")
                .register(Metrics.globalRegistry);
        assertNull(Metrics.globalRegistry.find("postgresql.queue.size").tag("clientName", "test").gauge());
        Gauge.builder("proxyvault.sqlclientmeters.test", () -> 1).register(Metrics.globalRegistry);
        assertNotNull(Metrics.globalRegistry.find("proxyvault.sqlclientmeters.test").gauge());
    }
}
