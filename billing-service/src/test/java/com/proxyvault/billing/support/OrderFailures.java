package com.proxyvault.billing.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderFailed;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * Plays order-service: writes {@code order.failed} events (its refund decision), checked against the
 * contract's schema, to this test run's topic with a plain Kafka producer.
 */
@Singleton
public class OrderFailures {

    private final ObjectMapper mapper;
    private final String topic;
    private final KafkaProducer<String, String> producer;

    public OrderFailures(ObjectMapper mapper,
                             @ConfigProperty(name = "proxyvault.topic-prefix") String topicPrefix,
                             @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.mapper = mapper;
        this.topic = topicPrefix + EventTypes.ORDER_FAILED;
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()));
    }

    public String topic() {
        return topic;
    }

    /** order-service's decision for a paid order: give back {@code amount} of the charge {@code order:<orderId>}. */
    public EventEnvelope<OrderFailed> event(long reseller, long orderId, String amount, String reason) {
        return event(reseller, orderId, "order:" + orderId, amount, reason);
    }

    /** {@code chargeReference} null and {@code amount} "0.00": an order that was never charged. */
    public EventEnvelope<OrderFailed> event(long reseller, long orderId, String chargeReference, String amount, String reason) {
        return EventEnvelope.of(EventTypes.ORDER_FAILED, reseller, new OrderFailed(orderId, reason, new BigDecimal(amount),
                chargeReference, LocalDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS)));
    }

    public String json(EventEnvelope<OrderFailed> event) {
        String json = EventJson.write(mapper, event);
        EventSchemas.assertValid(json);
        return json;
    }

    public void send(long reseller, long orderId, String amount, String reason) {
        send(reseller, json(event(reseller, orderId, amount, reason)));
    }

    /**
     * Keyed by the test's reseller: every message of one test lands on the same partition and is handled in
     * the order sent.
     */
    public void send(long reseller, String payload) {
        try {
            producer.send(new ProducerRecord<>(topic, Long.toString(reseller), payload)).get();
        } catch (Exception e) {
            throw new IllegalStateException("Kafka did not take the test message", e);
        }
    }

    @PreDestroy
    void close() {
        producer.close();
    }
}
