package com.proxyvault.fleet.locations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fleet announces its locations (F12, docs/events.md "Locations"): every change of a {@code locations} row,
 * whoever writes it, puts a {@code location.updated} on Kafka, keyed by the location's id, with a version that
 * only grows; the locations of the first migration are announced once. order-service builds its list from them.
 */
@QuarkusTest
class LocationEventsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "proxyvault.topic-prefix")
    String topicPrefix;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    Pool pool;

    private final ObjectMapper mapper = new ObjectMapper();
    private KafkaConsumer<String, String> events;
    private final List<ConsumerRecord<String, String>> seen = new ArrayList<>();

    @BeforeEach
    void listen() {
        events = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "group.id", "fleet-locations-" + UUID.randomUUID(),
                "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer());
        events.subscribe(List.of(topicPrefix + EventTypes.LOCATION_UPDATED));
    }

    @AfterEach
    void close() {
        events.close();
    }

    @Test
    void shouldAnnounceTheLocationsThatExistedBeforeTheEvents() throws Exception {
        for (String id : List.of("LAX", "MIA", "NYC")) {
            JsonNode data = awaitLocation(id, 1).get(0);
            assertTrue(data.get("active").asBoolean(), data.toString());
        }
        assertEquals("Los Angeles", awaitLocation("LAX", 1).get(0).get("name").asText());
    }

    @Test
    void shouldAnnounceALocationAddedChangedAndRemovedInOrder() throws Exception {
        String id = "T" + ThreadLocalRandom.current().nextInt(100_000_000, 999_999_999);
        sql("insert into locations (id, name, is_5g) values ($1, 'Test City', false)", id);
        sql("update locations set name = 'Test City 2', is_5g = true where id = $1", id);
        sql("update locations set name = 'Test City 2' where id = $1", id); // nothing changed: nothing announced
        sql("delete from locations where id = $1", id);

        List<JsonNode> states = awaitLocation(id, 3);
        assertEquals(3, states.size(), states.toString());
        assertEquals(List.of(true, true, false), states.stream().map(s -> s.get("active").asBoolean()).toList());
        assertEquals("Test City", states.get(0).get("name").asText());
        assertEquals("Test City 2", states.get(1).get("name").asText());
        assertTrue(states.get(1).get("is_5g").asBoolean());
        assertTrue(states.get(0).get("version").asLong() < states.get(1).get("version").asLong()
                && states.get(1).get("version").asLong() < states.get(2).get("version").asLong(), states.toString());
    }

    /** An id no purchase could name (order-service, the event schema: 2-32 capital letters or digits) is refused. */
    @Test
    void shouldRefuseALocationIdNoPurchaseCouldName() {
        for (String bad : List.of("par", "P", "PA RIS", "")) {
            assertThrows(RuntimeException.class,
                    () -> sql("insert into locations (id, name, is_5g) values ($1, 'Nowhere', false)", bad), bad);
        }
    }

    private void sql(String statement, String id) {
        pool.preparedQuery(statement).execute(Tuple.of(id)).await().atMost(WAIT);
    }

    /** The data of at least {@code count} location.updated events of {@code id}, in the order Kafka holds them. */
    private List<JsonNode> awaitLocation(String id, int count) {
        await().atMost(WAIT).until(() -> {
            for (ConsumerRecord<String, String> record : events.poll(Duration.ofMillis(300))) {
                EventSchemas.assertValid(record.value());
                seen.add(record);
            }
            return of(id).size() >= count;
        });
        return of(id);
    }

    private List<JsonNode> of(String id) {
        List<JsonNode> found = new ArrayList<>();
        for (ConsumerRecord<String, String> record : seen) {
            if (id.equals(record.key())) {
                try {
                    JsonNode event = mapper.readTree(record.value());
                    assertEquals(0, event.get("reseller_id").asLong());
                    assertEquals(id, event.at("/data/location_id").asText());
                    found.add(event.get("data"));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return found;
    }
}
