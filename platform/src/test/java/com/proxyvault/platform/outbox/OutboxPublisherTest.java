package com.proxyvault.platform.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.hibernate.reactive.mutiny.Mutiny;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The outbox's fast path against real PostgreSQL and Kafka: events committed in one transaction reach
 * their topic in commit order per key, with no sweep involved (the sweep runs every 1 s; the commit
 * signal is what publishes), and every row ends published with its lease released.
 */
@QuarkusTest
class OutboxPublisherTest {

    @Inject
    Mutiny.SessionFactory sessionFactory;
    @Inject
    ObjectMapper mapper;
    @Inject
    Pool pool;
    @ConfigProperty(name = "proxyvault.topic-prefix")
    String topicPrefix;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void shouldPublishCommittedEventsInCommitOrderPerKeyAndMarkThem() throws Throwable {
        List<UUID> written = new ArrayList<>();
        for (int batch = 0; batch < 3; batch++) {
            List<EventEnvelope<ProxyProvisionFailed>> events = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                events.add(EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, 1 + i % 2,
                        new ProxyProvisionFailed(batch * 100 + i, "order test")));
            }
            events.forEach(e -> written.add(e.id()));
            VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(session -> {
                io.smallrye.mutiny.Uni<Void> chain = io.smallrye.mutiny.Uni.createFrom().voidItem();
                for (EventEnvelope<ProxyProvisionFailed> event : events) {
                    chain = chain.chain(() -> Outbox.append(session, mapper, event));
                }
                return chain;
            }));
        }

        List<UUID> received = new ArrayList<>();
        try (var consumer = new KafkaConsumer<String, String>(Map.of("bootstrap.servers", bootstrap,
                "group.id", "outbox-test-" + UUID.randomUUID(), "auto.offset.reset", "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topicPrefix + EventTypes.PROXY_PROVISION_FAILED));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    received.add(UUID.fromString(mapper.readTree(record.value()).get("id").asText()));
                }
                return received.size() >= written.size();
            });
        }
        // per key (reseller 1, reseller 2), the order they were committed in
        for (String key : List.of("1", "2")) {
            List<UUID> expected = written.stream().filter(id -> written.indexOf(id) % 2 == (key.equals("1") ? 0 : 1)).toList();
            List<UUID> got = received.stream().filter(expected::contains).toList();
            assertEquals(expected, got, "events of key " + key + " in commit order, each once");
        }
        // Every row ends published, its lease released (the last round's mark may still be on its way).
        await().atMost(Duration.ofSeconds(30)).until(() -> count(
                "select count(*) from outbox_events where published_at is null or claimed_until is not null") == 0L);
    }

    @Test
    void shouldSetARefusedEventAsideWithoutHoldingBackOtherKeys() throws Throwable {
        // Kafka refuses a record over max.request.size (1 MiB) for good: not retriable.
        EventEnvelope<ProxyProvisionFailed> tooLarge = EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, 91,
                new ProxyProvisionFailed(1, "x".repeat(2 * 1024 * 1024)));
        EventEnvelope<ProxyProvisionFailed> behindIt = EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, 91,
                new ProxyProvisionFailed(2, "same key, after the refused one"));
        EventEnvelope<ProxyProvisionFailed> otherKey = EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, 92,
                new ProxyProvisionFailed(3, "another key"));
        VertxContextSupport.subscribeAndAwait(() -> sessionFactory.withTransaction(session ->
                Outbox.append(session, mapper, tooLarge)
                        .chain(() -> Outbox.append(session, mapper, behindIt))
                        .chain(() -> Outbox.append(session, mapper, otherKey))));

        // The other key is not held back at all; the refused row is set aside after max-refusals (2 in
        // %test); then its key's later event goes out. Nothing is deleted: the refused row stays.
        await().atMost(Duration.ofSeconds(30)).until(() -> published(otherKey.id()) && published(behindIt.id()));
        long setAside = VertxContextSupport.subscribeAndAwait(() -> pool.query(
                "select count(*) from outbox_events where id = '" + tooLarge.id()
                        + "' and published_at is null and failed_at is not null and attempts = 2 and claim_token is null")
                .execute().map(rows -> rows.iterator().next().getLong(0)));
        assertEquals(1L, setAside, "the refused row is set aside, not lost");
    }

    private long count(String sql) throws Exception {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> pool.query(sql).execute()
                    .map(rows -> rows.iterator().next().getLong(0)));
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private boolean published(UUID id) throws Exception {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> pool.query(
                            "select count(*) from outbox_events where id = '" + id + "' and published_at is not null")
                    .execute().map(rows -> rows.iterator().next().getLong(0))) == 1L;
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
