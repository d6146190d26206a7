package com.proxyvault.webhooks.events;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.Optional;

/**
 * Consumes every event topic ({@code ${proxyvault.topic-prefix}order.*} and {@code proxy.*}, one pattern
 * subscription, group {@code webhook-service}) and hands the webhook events of
 * {@link com.proxyvault.contracts.events.EventRegistry} to their fan-out; other topics of those families
 * (proxy.provisioning, proxy.provision_failed …) are acknowledged untouched. A new event type in the
 * registry is picked up without a new channel. Completing the Uni acks the record (applied, duplicate or
 * parked).
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
    public Uni<Void> onEvent(ConsumerRecord<String, String> record) {
        String topic = record.topic();
        if (!topic.startsWith(topicPrefix)) {
            return Uni.createFrom().voidItem();
        }
        return fanout.consumerOf(topic.substring(topicPrefix.length()))
                .map(consumer -> consumer.consume(record.value()))
                .orElseGet(() -> Uni.createFrom().voidItem());
    }
}
