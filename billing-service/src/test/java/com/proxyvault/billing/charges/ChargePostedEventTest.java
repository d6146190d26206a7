package com.proxyvault.billing.charges;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.Resellers;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every charge that moved money is announced once on Kafka as charge.posted, through the outbox. */
@QuarkusTest
class ChargePostedEventTest {

    @ConfigProperty(name = "proxyvault.topic-prefix")
    String topicPrefix;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void shouldAnnounceEachChargeOnceEvenWhenItIsRepeated() throws Exception {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "50.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:7", "20.00").statusCode(201);
        BillingApi.charge(reseller, "order:7", "20.00").statusCode(200); // replay: no second event
        BillingApi.charge(reseller, "order:8", "100.00").statusCode(402); // refused: no event
        BillingApi.charge(reseller, "order:9", "5.00").statusCode(201); // marks the end of what we sent

        List<JsonNode> announced = new ArrayList<>();
        try (var consumer = new KafkaConsumer<String, String>(Map.of("bootstrap.servers", bootstrap,
                "group.id", "billing-test-" + UUID.randomUUID(), "auto.offset.reset", "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topicPrefix + EventTypes.CHARGE_POSTED));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(300))) {
                    EventSchemas.assertValid(record.value());
                    JsonNode event = mapper.readTree(record.value());
                    if (event.get("reseller_id").asLong() == reseller) {
                        announced.add(event);
                    }
                }
                return announced.stream().anyMatch(e -> e.get("data").get("reference").asText().equals("order:9"));
            });
        }
        // The outbox publishes in insertion order, so everything before order:9 has been read.
        assertEquals(List.of("order:7", "order:9"),
                announced.stream().map(e -> e.get("data").get("reference").asText()).toList());
        JsonNode first = announced.get(0).get("data");
        assertEquals("20.00", first.get("amount").asText());
        assertEquals("30.00", first.get("balance").asText());
        assertEquals(String.valueOf(reseller), String.valueOf(announced.get(0).get("reseller_id").asLong()));
    }
}
