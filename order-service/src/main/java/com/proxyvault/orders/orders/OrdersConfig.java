package com.proxyvault.orders.orders;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** {@code proxyvault.orders.*}: the lifecycle's knobs and the switch of issue 7 (docs/events.md). */
@ConfigMapping(prefix = "proxyvault.orders")
public interface OrdersConfig {

    /** A pending_payment order older than this is cancelled by {@link UnpaidOrderCanceller}. */
    @WithDefault("30m")
    Duration unpaidTimeout();

    /** How often the canceller looks for due orders (read by its {@code @Scheduled} expression). */
    @WithDefault("60s")
    Duration unpaidSweepInterval();

    /** How many orders one sweep transaction cancels at most; the sweep repeats until none is left. */
    @WithDefault("100")
    int cancelBatchSize();

    /**
     * Send {@code order_id} with each charge. Off until billing accepts the field (its strict reader
     * refuses unknown fields, so turning this on first would break every pay).
     */
    @WithDefault("false")
    boolean sendOrderId();
}
