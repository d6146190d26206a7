package com.proxyvault.webhooks.events;

import com.proxyvault.contracts.events.EventTypes;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Consumes the public event topics ({@code ${proxyvault.topic-prefix}<type>}, group {@code webhook-service}).
 * Completing the Uni acks the message; a failure nacks it to the channel's dead-letter topic.
 */
@ApplicationScoped
public class EventFanoutListener {

    private final EventFanout fanout;

    public EventFanoutListener(EventFanout fanout) {
        this.fanout = fanout;
    }

    @Incoming("order-paid")
    public Uni<Void> onOrderPaid(String json) {
        return fanout.accept(EventTypes.ORDER_PAID, json);
    }

    @Incoming("proxy-provisioned")
    public Uni<Void> onProxyProvisioned(String json) {
        return fanout.accept(EventTypes.PROXY_PROVISIONED, json);
    }

    @Incoming("proxy-expired")
    public Uni<Void> onProxyExpired(String json) {
        return fanout.accept(EventTypes.PROXY_EXPIRED, json);
    }
}
