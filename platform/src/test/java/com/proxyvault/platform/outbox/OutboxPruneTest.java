package com.proxyvault.platform.outbox;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The outbox's retention ({@link OutboxRelay#prunePublished}) against real PostgreSQL: published rows past the
 * retention go, oldest first and at most a batch per call; rows never published (here one set aside after
 * Kafka refused it) stay; a row published within the retention stops the scan, and the old rows behind it go
 * once it is old too.
 */
@QuarkusTest
class OutboxPruneTest {

    private static final Duration KEEP = Duration.ofHours(1);

    @Inject
    Pool pool;

    @Test
    void shouldPruneOldPublishedRowsOldestFirstUpToTheFirstYoungRowAndKeepUnpublishedOnes() throws Throwable {
        // The scan stops at the first young row of the whole table: other test classes' published rows would
        // stop it before ours, so this test starts from a table without published rows (unpublished ones,
        // another test's still in flight, are left alone and change nothing here).
        sql("delete from outbox_events where published_at is not null", Tuple.tuple());
        String topic = "prune-test-" + UUID.randomUUID();
        OutboxRelay relay = new OutboxRelay(pool, null, "", 10, Duration.ofSeconds(30), 10);

        List<String> names = List.of("a", "b", "set-aside", "c", "young", "d");
        for (String name : names) {
            String published = switch (name) {
                case "set-aside" -> "null";
                case "young" -> "(now() at time zone 'utc') - interval '1 minute'";
                default -> "(now() at time zone 'utc') - interval '2 hours'";
            };
            // set aside (failed_at): the relay never claims it, as after Kafka refused its record maxRefusals times
            String failed = name.equals("set-aside") ? "(now() at time zone 'utc')" : "null";
            sql("insert into outbox_events (id, topic, message_key, payload, created_at, published_at, failed_at) "
                    + "values ($1, $2, $3, '{}', (now() at time zone 'utc') - interval '3 hours', " + published + ", " + failed + ")",
                    Tuple.of(UUID.randomUUID(), topic, name));
        }

        assertEquals(2, prune(relay, 2), "a batch at most");
        assertEquals(List.of("set-aside", "c", "young", "d"), left(topic), "oldest seq first");
        assertEquals(1, prune(relay, 2), "c: the set-aside row is skipped, the young one stops the scan");
        assertEquals(0, prune(relay, 2));
        assertEquals(List.of("set-aside", "young", "d"), left(topic), "d waits behind the young row");

        sql("update outbox_events set published_at = (now() at time zone 'utc') - interval '2 hours' "
                + "where topic = $1 and message_key = 'young'", Tuple.of(topic));
        assertEquals(2, prune(relay, 10), "once it is old too, it and the row behind it go");
        assertEquals(List.of("set-aside"), left(topic), "never published: never pruned");

        sql("delete from outbox_events where topic = $1", Tuple.of(topic));
    }

    private int prune(OutboxRelay relay, int limit) throws Throwable {
        return VertxContextSupport.subscribeAndAwait(() -> relay.prunePublished(KEEP, limit));
    }

    private List<String> left(String topic) throws Throwable {
        List<String> keys = new ArrayList<>();
        for (Row row : VertxContextSupport.subscribeAndAwait(() -> pool
                .preparedQuery("select message_key from outbox_events where topic = $1 order by seq").execute(Tuple.of(topic)))) {
            keys.add(row.getString(0));
        }
        return keys;
    }

    private void sql(String statement, Tuple params) throws Throwable {
        VertxContextSupport.subscribeAndAwait(() -> pool.preparedQuery(statement).execute(params));
    }
}
