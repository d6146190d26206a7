package com.proxyvault.webhooks.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.proxyvault.platform.events.EventConsumer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Consumes every event topic ({@code ${proxyvault.topic-prefix}order.*} and {@code proxy.*}, one pattern
 * subscription, group {@code webhook-service}) a whole Kafka poll at a time (channel {@code batch=true}) and
 * hands the webhook events of {@link com.proxyvault.contracts.events.EventRegistry} to their fan-out, one
 * statement for the poll ({@link EventFanout#consume}); other topics of those families (proxy.provisioning,
 * proxy.provision_failed …) are acknowledged untouched. A new event type in the registry is picked up without
 * a new channel. Completing the Uni acks the poll (every event applied, a duplicate or parked).
 */
@ApplicationScoped
public class EventFanoutListener {

    private final EventFanout fanout;
    private final String topicPrefix;

    // Optional: an empty prefix (production: TOPIC_PREFIX unset) counts as no value in MicroProfile Config.
    public EventFanoutListener(EventFanout fanout, @ConfigProperty(name = "proxyvault.topic-prefix") Optional<String> topicPrefix) {
        this.fanout = fanout;
        this.topicPrefix = topicPrefix.orElse("");
    }

    @Incoming("webhook-events")
    public Uni<Void> onEvents(ConsumerRecords<String, String> poll) {
        return onRecords(poll);
    }

    /** The records of one poll (or any records, in the poll's order): their webhook events in one fan-out. */
    public Uni<Void> onRecords(Iterable<ConsumerRecord<String, String>> records) {
        List<EventConsumer.Polled<JsonNode>> poll = new ArrayList<>();
        for (ConsumerRecord<String, String> record : records) {
            String topic = record.topic();
            if (topic.startsWith(topicPrefix)) {
                fanout.consumerOf(topic.substring(topicPrefix.length()))
                        .ifPresent(consumer -> poll.add(new EventConsumer.Polled<>(consumer, record.value())));
            }
        }
        return poll.isEmpty() ? Uni.createFrom().voidItem() : fanout.consume(poll);
    }
}
