package com.proxyvault.orders.events;

import com.proxyvault.contracts.events.ChargeRefused;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyRenewalDue;
import com.proxyvault.contracts.events.ProxyRenewed;
import com.proxyvault.orders.orders.OrderService;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * The order side of renewals (docs/money.md, "Renewals"), each through the platform's consumer template
 * (once per event, in the effect's transaction):
 * <ul>
 *   <li>{@code proxy.renewal_due} (the fleet's auto-renew checkpoint) → a renewal order and
 *       {@code charge.requested} ({@link OrderService#autoRenew});</li>
 *   <li>{@code charge.refused} (billing could not charge it) → the order is cancelled and
 *       {@code order.cancelled} names the proxy ({@link OrderService#cancelRefused});</li>
 *   <li>{@code proxy.renewed} (the fleet moved expires_at) → the renewal order is active
 *       ({@link OrderService#markRenewed}).</li>
 * </ul>
 * A charge billing posted comes back as {@code charge.posted}, which {@link ChargePostedListener} turns into
 * a paid order and {@code order.paid}, as for any order.
 */
@ApplicationScoped
public class RenewalListener {

    private final EventConsumer<ProxyRenewalDue> renewalDue;
    private final EventConsumer<ChargeRefused> chargeRefused;
    private final EventConsumer<ProxyRenewed> renewed;

    public RenewalListener(EventConsumers consumers, OrderService orders) {
        this.renewalDue = consumers.consumer("order-auto-renew", EventTypes.PROXY_RENEWAL_DUE, ProxyRenewalDue.class,
                (session, event) -> orders.autoRenew(session, event.resellerId(), event.data().proxyId(), event.data().orderId(),
                        event.data().expiresAt()));
        this.chargeRefused = consumers.consumer("order-charge-refused", EventTypes.CHARGE_REFUSED, ChargeRefused.class,
                (session, event) -> orders.cancelRefused(session, event.data().orderId(), event.resellerId(), event.data().reason()));
        this.renewed = consumers.consumer("order-renewed", EventTypes.PROXY_RENEWED, ProxyRenewed.class,
                (session, event) -> orders.markRenewed(session, event.resellerId(), event.data().proxyId(),
                        event.data().orderId(), event.data().expiresAt()));
    }

    @Incoming("proxy-renewal-due")
    public Uni<Void> onRenewalDue(String json) {
        return renewalDue.consume(json);
    }

    @Incoming("charge-refused")
    public Uni<Void> onChargeRefused(String json) {
        return chargeRefused.consume(json);
    }

    @Incoming("proxy-renewed")
    public Uni<Void> onRenewed(String json) {
        return renewed.consume(json);
    }
}
