package com.proxyvault.orders.events;

import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyExpired;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.contracts.events.ProxyProvisioned;
import com.proxyvault.contracts.events.ProxyProvisioning;
import com.proxyvault.orders.orders.OrderService;
import com.proxyvault.orders.orders.OrderStatus;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import com.proxyvault.platform.time.ClockProducer;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.time.Clock;

/**
 * Follows the fleet: an order is provisioning once the fleet found it a modem, active when its proxy is
 * provisioned, failed when provisioning failed ({@link OrderService#markFailed}: order.failed names the charge to refund, billing posts it),
 * expired when the proxy expired. The fleet's own events announce provisioning, active and expired; this
 * service adds no event of its own for them. Each transition only moves forwards ({@link OrderStatus#before}), so a repeated or
 * out-of-order event changes nothing and the order ends where its proxy is.
 */
@ApplicationScoped
public class FleetEventsListener {

    private final Clock clock;
    private final EventConsumer<ProxyProvisioning> provisioning;
    private final EventConsumer<ProxyProvisioned> provisioned;
    private final EventConsumer<ProxyProvisionFailed> provisionFailed;
    private final EventConsumer<ProxyExpired> expired;

    /**
     * provisioning and active: one conditional update each, on the Vert.x Pool, idempotent by itself (the
     * status only moves forwards, {@code $7} = {@link OrderStatus#before} the target), so these consumers
     * need no inbox row and no Hibernate transaction: one round trip per event where the template's
     * transaction took four (bench/pay). {@code $3}: the proxy's expires_at, or null to keep the order's.
     */
    private static final String MOVE = """
            update orders set status = $1::text, proxy_id = $2, expires_at = coalesce($3::timestamp, expires_at),
                              updated_at = $4::timestamp
            where id = $5 and reseller_id = $6 and status = any($7::text[])""";

    /**
     * {@link #MOVE} for every event of one Kafka poll (channel {@code batch=true}, docs/events.md "Batches"): one
     * statement where each event took one. {@code $1} target, {@code $2} updated_at, {@code $3..$6} the events'
     * order ids, reseller ids, proxy ids and proxy ends (null elements keep the order's), {@code $7} the statuses
     * before the target. An order named twice in the poll (a redelivery) is updated once, with the same values.
     */
    private static final String MOVE_MANY = """
            update orders o set status = $1::text, proxy_id = v.proxy_id, expires_at = coalesce(v.expires_at, o.expires_at),
                                updated_at = $2::timestamp
            from unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::timestamp[]) as v(order_id, reseller_id, proxy_id, expires_at)
            where o.id = v.order_id and o.reseller_id = v.reseller_id and o.status = any($7::text[])""";

    /**
     * expired, in the same idiom as {@link #MOVE}: one statement on the Pool, idempotent by itself (both
     * updates only move a status forwards). The order named by the event goes expired, keeping a proxy and
     * end it already has ({@code $2}, {@code $3} only fill them in: an expired event that overtook the
     * provisioned one still names the proxy and its end); the proxy's active renewal orders end with it
     * ({@code $8} = active). A renewal still paid or pending is left to its own path (the fleet answers a
     * renewal of an ended proxy with proxy.provision_failed: refunded).
     */
    private static final String EXPIRE = """
            with named as (
                update orders set status = $1::text, proxy_id = coalesce(proxy_id, $2),
                                  expires_at = coalesce(expires_at, $3::timestamp), updated_at = $4::timestamp
                where id = $5 and reseller_id = $6 and status = any($7::text[])
                returning id),
            renewals as (
                update orders set status = $1::text, updated_at = $4::timestamp
                where proxy_id = $2 and reseller_id = $6 and kind = 'renewal' and status = $8::text and id <> $5
                returning id)
            select (select count(*) from named) + (select count(*) from renewals)""";

    public FleetEventsListener(EventConsumers consumers, Clock clock, OrderService orders, Pool pool) {
        this.clock = clock;
        this.provisioning = consumers.idempotentConsumer("order-provisioning", EventTypes.PROXY_PROVISIONING, ProxyProvisioning.class,
                (event, json) -> move(pool, event.data().orderId(), event.resellerId(), OrderStatus.PROVISIONING,
                        event.data().proxyId(), null),
                events -> moveMany(pool, OrderStatus.PROVISIONING, events.stream().map(event -> new Move(
                        event.data().orderId(), event.resellerId(), event.data().proxyId(), null)).toList()));
        this.provisioned = consumers.idempotentConsumer("order-active", EventTypes.PROXY_PROVISIONED, ProxyProvisioned.class,
                (event, json) -> move(pool, event.data().orderId(), event.resellerId(), OrderStatus.ACTIVE,
                        event.data().proxyId(), event.data().expiresAt()),
                events -> moveMany(pool, OrderStatus.ACTIVE, events.stream().map(event -> new Move(
                        event.data().orderId(), event.resellerId(), event.data().proxyId(), event.data().expiresAt())).toList()));
        // one statement with its own inbox row (it writes order.failed: a refund must be announced once)
        this.provisionFailed = consumers.idempotentConsumer("order-failed", EventTypes.PROXY_PROVISION_FAILED, ProxyProvisionFailed.class,
                (event, json) -> orders.markFailed(event.id(), "order-failed", event.data().orderId(), event.resellerId(),
                        event.data().reason()));
        this.expired = consumers.idempotentConsumer("order-expired", EventTypes.PROXY_EXPIRED, ProxyExpired.class,
                (event, json) -> pool.preparedQuery(EXPIRE)
                        .execute(Tuple.tuple(java.util.Arrays.asList(OrderStatus.EXPIRED, event.data().proxyId(),
                                event.data().expiredAt(), ClockProducer.utcNow(clock), event.data().orderId(),
                                event.resellerId(), OrderStatus.before(OrderStatus.EXPIRED).toArray(String[]::new),
                                OrderStatus.ACTIVE))));
    }

    /** {@link #MOVE}: the order to {@code target} with its proxy (and, if non-null, the proxy's end {@code at}). */
    private Uni<Integer> move(Pool pool, long orderId, long resellerId, String target, long proxyId, java.time.LocalDateTime at) {
        return pool.preparedQuery(MOVE)
                .execute(Tuple.tuple(java.util.Arrays.asList(target, proxyId, at, ClockProducer.utcNow(clock), orderId,
                        resellerId, OrderStatus.before(target).toArray(String[]::new))))
                .map(rows -> rows.rowCount());
    }

    /** One order's move named by one event: the order, its reseller, its proxy and the proxy's end (nullable). */
    private record Move(long orderId, long resellerId, long proxyId, java.time.LocalDateTime expiresAt) {
    }

    /** {@link #MOVE_MANY}: every order of {@code moves} to {@code target}, in one statement. */
    private Uni<Integer> moveMany(Pool pool, String target, java.util.List<Move> moves) {
        return pool.preparedQuery(MOVE_MANY)
                .execute(Tuple.tuple(java.util.Arrays.asList(target, ClockProducer.utcNow(clock),
                        moves.stream().map(Move::orderId).toArray(Long[]::new),
                        moves.stream().map(Move::resellerId).toArray(Long[]::new),
                        moves.stream().map(Move::proxyId).toArray(Long[]::new),
                        moves.stream().map(Move::expiresAt).toArray(java.time.LocalDateTime[]::new),
                        OrderStatus.before(target).toArray(String[]::new))))
                .map(rows -> rows.rowCount());
    }

    /** A whole poll of proxy.provisioning (batch=true): one statement for all of it. */
    @Incoming("proxy-provisioning")
    public Uni<Void> onProxyProvisioning(java.util.List<String> jsons) {
        return provisioning.consumeBatch(jsons);
    }

    /** A whole poll of proxy.provisioned (batch=true): one statement for all of it. */
    @Incoming("proxy-provisioned")
    public Uni<Void> onProxyProvisioned(java.util.List<String> jsons) {
        return provisioned.consumeBatch(jsons);
    }

    @Incoming("proxy-provision-failed")
    public Uni<Void> onProvisionFailed(String json) {
        return provisionFailed.consume(json);
    }

    @Incoming("proxy-expired")
    public Uni<Void> onProxyExpired(String json) {
        return expired.consume(json);
    }
}
