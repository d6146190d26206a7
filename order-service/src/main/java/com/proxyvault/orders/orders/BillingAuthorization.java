package com.proxyvault.orders.orders;

import io.quarkus.arc.DefaultBean;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The {@code Authorization} header for a billing call made on a reseller's behalf when no caller's token is
 * at hand: the refund of {@code proxyvault.orders.refunds-by-orders}, made while consuming an event.
 *
 * <p>Pay passes the caller's own token on; an event brings none, and order-service holds no signing key
 * (only the gateway mints internal tokens). Until order-service has a service identity billing accepts
 * (issue 7, docs/events.md "Refunds by order-service"), the default fails, so with the flag on a refund is
 * retried and then parked in {@code dead_letter_events} — visible, replayable, never silently dropped.
 */
public interface BillingAuthorization {

    /** {@code "Bearer <token>"} acting for {@code resellerId}, audience billing-service. */
    Uni<String> forReseller(long resellerId);

    @ApplicationScoped
    @DefaultBean
    class None implements BillingAuthorization {
        @Override
        public Uni<String> forReseller(long resellerId) {
            return Uni.createFrom().failure(new IllegalStateException(
                    "order-service has no service identity for billing yet: refunds-by-orders cannot authenticate"));
        }
    }
}
