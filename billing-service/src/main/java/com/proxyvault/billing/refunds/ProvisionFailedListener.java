package com.proxyvault.billing.refunds;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * Consumes {@code proxy.provision_failed} and refunds the order's charge.
 * <ul>
 *   <li>A message that cannot be read (not JSON, wrong type, no ids) can never succeed: it is logged and
 *       acknowledged so it does not block the partition.</li>
 *   <li>A refund that fails (database unavailable, ...) is retried with exponential backoff; if it still fails
 *       the message is nacked and the channel's dead-letter-queue strategy parks it on
 *       {@code <prefix>proxy.provision_failed.billing-dlq}. Each attempt is a fresh transaction, and the
 *       refund is idempotent, so retrying or replaying from the DLQ never refunds twice.</li>
 * </ul>
 */
@ApplicationScoped
public class ProvisionFailedListener {

    private static final Logger LOG = Logger.getLogger(ProvisionFailedListener.class);

    private final RefundService refunds;
    private final ObjectMapper mapper;
    private final int maxRetries;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Counter failedAttempts;
    private final Counter deadLettered;

    public ProvisionFailedListener(RefundService refunds, ObjectMapper mapper, MeterRegistry registry,
                                   @ConfigProperty(name = "billing.refunds.max-retries") int maxRetries,
                                   @ConfigProperty(name = "billing.refunds.initial-backoff") Duration initialBackoff,
                                   @ConfigProperty(name = "billing.refunds.max-backoff") Duration maxBackoff) {
        this.refunds = refunds;
        this.mapper = mapper;
        this.maxRetries = maxRetries;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.failedAttempts = registry.counter("billing.refund.attempts.failed");
        // A dead-lettered refund is money a reseller is still owed: worth an alert.
        this.deadLettered = registry.counter("billing.refund.dead.lettered");
    }

    @Incoming("provision-failed")
    public Uni<Void> onProvisionFailed(String payload) {
        EventEnvelope<ProxyProvisionFailed> event;
        try {
            event = parse(payload);
        } catch (IllegalArgumentException e) {
            LOG.errorf("Dropping unreadable %s message (%s): %s", EventTypes.PROXY_PROVISION_FAILED, e.getMessage(), payload);
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().deferred(() -> refunds.refundFailedProvision(event))
                // Backoff timers fire on Mutiny's worker threads; every attempt goes back to this message's
                // Vert.x context, where the reactive database client expects to be used.
                .runSubscriptionOn(onCurrentVertxContext())
                .onFailure().invoke(failure -> {
                    failedAttempts.increment();
                    LOG.warnf("Refund for event %s failed: %s", event.id(), failure.toString());
                })
                .onFailure().retry().withBackOff(initialBackoff, maxBackoff).atMost(maxRetries)
                .onFailure().invoke(failure -> {
                    deadLettered.increment();
                    LOG.errorf(failure, "Refund for event %s failed %d times, sending it to the dead-letter topic",
                            event.id(), maxRetries + 1);
                });
    }

    private EventEnvelope<ProxyProvisionFailed> parse(String payload) {
        if (payload == null) {
            throw new IllegalArgumentException("empty message");
        }
        EventEnvelope<ProxyProvisionFailed> event = EventJson.read(mapper, payload, ProxyProvisionFailed.class);
        if (!EventTypes.PROXY_PROVISION_FAILED.equals(event.type())) {
            throw new IllegalArgumentException("unexpected event type " + event.type());
        }
        if (event.id() == null || event.resellerId() <= 0 || event.data() == null || event.data().orderId() <= 0) {
            throw new IllegalArgumentException("event id, reseller_id and data.order_id are required");
        }
        return event;
    }

    private static Executor onCurrentVertxContext() {
        Context context = Vertx.currentContext();
        if (context == null) {
            return Runnable::run;
        }
        return command -> context.runOnContext(ignored -> command.run());
    }
}
