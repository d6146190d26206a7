package com.proxyvault.fleet.renewals;

import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderCancelled;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import com.proxyvault.fleet.jobs.PhasedJobs;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.time.Duration;

/**
 * What drives {@link ProxyRenewals}: the checkpoint sweep on the expiry interval (checkpoints are hours
 * apart, a second's delay does not matter; it repeats while a batch comes back full), and the
 * {@code order.cancelled} consumer that turns a refused auto-renewal into {@code proxy.expiring}.
 */
@ApplicationScoped
public class RenewalJobs {

    private final ProxyRenewals renewals;
    private final int batchSize;
    private final EventConsumer<OrderCancelled> cancelled;

    private final PhasedJobs jobs;
    private final Duration interval;

    public RenewalJobs(ProxyRenewals renewals, RenewalConfig config, EventConsumers consumers, PhasedJobs jobs,
                       @ConfigProperty(name = "proxyvault.fleet.expiry-interval") Duration interval) {
        this.renewals = renewals;
        this.jobs = jobs;
        this.interval = interval;
        this.batchSize = config.batchSize();
        this.cancelled = consumers.consumer("proxy-renewal-refused", EventTypes.ORDER_CANCELLED, OrderCancelled.class,
                (session, event) -> renewals.renewalRefused(session, event.resellerId(), event.data()));
    }

    void start(@Observes StartupEvent event) {
        jobs.every("Renewal checkpoints", interval, PhasedJobs.Phase.RENEWALS, this::sweepCheckpoints);
    }

    Uni<Void> sweepCheckpoints() {
        return renewals.sweep().chain(looked -> looked >= batchSize ? sweepCheckpoints() : Uni.createFrom().voidItem());
    }

    @Incoming("order-cancelled")
    public Uni<Void> onOrderCancelled(String json) {
        return cancelled.consume(json);
    }
}
