package com.proxyvault.orders.orders;

import com.proxyvault.platform.time.ClockProducer;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Cancels orders left pending_payment longer than {@code proxyvault.orders.unpaid-timeout} (30 min), every
 * {@code proxyvault.orders.unpaid-sweep-interval} (1 min), in batches of {@code cancel-batch-size}, one
 * transaction each, until none is due. Safe with several replicas (each batch claims its rows with
 * {@code skip locked}) and idempotent (only a pending order is cancelled, once: order.cancelled is written
 * with the change). Paying a cancelled order is a 409.
 */
@ApplicationScoped
public class UnpaidOrderCanceller {

    private static final Logger LOG = Logger.getLogger(UnpaidOrderCanceller.class);
    /** At most this many batches per run; the next run continues. */
    private static final int MAX_BATCHES_PER_RUN = 50;

    private final OrderService orders;
    private final OrdersConfig config;
    private final java.time.Clock clock;

    public UnpaidOrderCanceller(OrderService orders, OrdersConfig config, java.time.Clock clock) {
        this.orders = orders;
        this.config = config;
        this.clock = clock;
    }

    @Scheduled(identity = "unpaid-order-canceller", every = "${proxyvault.orders.unpaid-sweep-interval:60s}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> run() {
        return cancelDue().replaceWithVoid();
    }

    /** Cancels every order due now (by the injected clock); returns how many this call cancelled. */
    public Uni<Integer> cancelDue() {
        return batches(ClockProducer.utcNow(clock).minus(config.unpaidTimeout()), 0, 0);
    }

    private Uni<Integer> batches(java.time.LocalDateTime cutoff, int done, int round) {
        return orders.cancelUnpaid(cutoff, config.cancelBatchSize()).chain(cancelled -> {
            int total = done + cancelled;
            if (cancelled == config.cancelBatchSize() && round + 1 < MAX_BATCHES_PER_RUN) {
                return batches(cutoff, total, round + 1);
            }
            if (total > 0) {
                LOG.infof("Cancelled %d orders unpaid since %s", total, cutoff);
            }
            return Uni.createFrom().item(total);
        });
    }
}
