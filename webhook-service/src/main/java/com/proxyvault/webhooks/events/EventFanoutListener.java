package com.proxyvault.webhooks.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.platform.events.EventConsumer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Consumes the public event topics ({@code ${proxyvault.topic-prefix}<type>}, group {@code webhook-service}).
 * Completing the Uni acks the message (applied, duplicate or parked).
 */
@ApplicationScoped
public class EventFanoutListener {

    private final EventConsumer<JsonNode> orderPaid;
    private final EventConsumer<JsonNode> proxyProvisioned;
    private final EventConsumer<JsonNode> proxyExpired;

    public EventFanoutListener(EventFanout fanout) {
        this.orderPaid = fanout.consumerOf(EventTypes.ORDER_PAID);
        this.proxyProvisioned = fanout.consumerOf(EventTypes.PROXY_PROVISIONED);
        this.proxyExpired = fanout.consumerOf(EventTypes.PROXY_EXPIRED);
    }

    @Incoming("order-paid")
    public Uni<Void> onOrderPaid(String json) {
        return orderPaid.consume(json);
    }

    @Incoming("proxy-provisioned")
    public Uni<Void> onProxyProvisioned(String json) {
        return proxyProvisioned.consume(json);
    }

    @Incoming("proxy-expired")
    public Uni<Void> onProxyExpired(String json) {
        return proxyExpired.consume(json);
    }
}
