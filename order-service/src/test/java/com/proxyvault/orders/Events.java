package com.proxyvault.orders;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/** Kafka for the tests: the run's prefixed topics, produced to and read from the start. */
final class Events {

    private Events() {
    }

    private static String bootstrap() {
        return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
    }

    private static String topic(String type) {
        return ConfigProvider.getConfig().getOptionalValue("proxyvault.topic-prefix", String.class).orElse("") + type;
    }

    static void produce(String type, long reseller, String json) throws Exception {
        produce(type, String.valueOf(reseller), json);
    }

    /** With the record key given: a fleet-wide event's is its object's id (location.updated: the location). */
    static void produce(String type, String key, String json) throws Exception {
        try (var producer = new KafkaProducer<String, String>(Map.of("bootstrap.servers", bootstrap()),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic(type), key, json)).get();
        }
    }

    /** The events of one order on {@code type}'s topic, read until at least one came and a bit longer. */
    static List<String> ofOrder(String type, long orderId) {
        String marker = "\"order_id\":" + orderId + ",";
        List<String> found = new ArrayList<>();
        try (var consumer = new KafkaConsumer<String, String>(Map.of(
                "bootstrap.servers", bootstrap(), "group.id", "order-test-" + UUID.randomUUID(),
                "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic(type)));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value().contains(marker)) {
                        found.add(record.value());
                    }
                }
                return !found.isEmpty();
            });
            // Give a duplicate the chance to show up before counting.
            for (int i = 0; i < 4; i++) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value().contains(marker)) {
                        found.add(record.value());
                    }
                }
            }
        }
        return found;
    }
}
