package com.proxyvault.orders.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.ChargeRefused;
import com.proxyvault.contracts.events.ChargeRequested;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderCancelled;
import com.proxyvault.contracts.events.OrderFailed;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.http.ErrorCodes;
import com.proxyvault.platform.http.ForwardedIdempotencyKey;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.orders.catalog.CatalogService;
import com.proxyvault.orders.locations.KnownLocations;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.hibernate.LockMode;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;

@ApplicationScoped
public class OrderService {

    private static final Logger LOG = Logger.getLogger(OrderService.class);

    private final CatalogService catalog;
    private final BillingClient billing;
    private final ObjectMapper mapper;
    private final Clock clock;
    private final OrdersConfig config;
    private final Pool pool;
    private final KnownLocations locations;

    public OrderService(CatalogService catalog, @RestClient BillingClient billing, ObjectMapper mapper, Clock clock,
                        OrdersConfig config, Pool pool, KnownLocations locations) {
        this.pool = pool;
        this.locations = locations;
        this.catalog = catalog;
        this.billing = billing;
        this.mapper = mapper;
        this.clock = clock;
        this.config = config;
    }

    private LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }

    /** The columns {@link #fromRow} reads, in the statements on the Pool. */
    private static final String COLUMNS = """
            id, reseller_id, product_id, pricing_id, product_name, pricing_label, amount_usd, period_type,
            period_duration, status, kind, proxy_id, location_id, failure_reason, created_at, paid_at, expires_at,
            updated_at""";

    /**
     * The key of the pay whose charge was posted ($2, null: none) and the balance right after it ($3, kept if known) on
     * its order ($1), when charge.posted marked the order paid before that pay got to it.
     */
    private static final String KEEP_PAYING_KEY =
            "update orders set pay_idempotency_key = $2, pay_new_balance = coalesce(pay_new_balance, $3) where id = $1";
    /** Records a keyed pay's key on its order while the order waits for payment ($1 order, $2 key, $3 pending_payment). */
    private static final String NOTE_PAY_KEY =
            "update orders set pay_idempotency_key = $2 where id = $1 and status = $3";

    /**
     * The new order's row, when the catalog and the fleet's locations allow it (the start of {@link #CREATE}). A
     * purchase order snapshotting its tier, as one statement on the Vert.x Pool (one round trip, no Hibernate): the
     * insert takes product name, tier label, price and period from the catalog rows in the same statement, only when
     * both are active and belong together. Replaces BEGIN, two catalog reads, the insert and COMMIT (five round trips;
     * docs/benchmarks.md "bench/pay").
     */
    private static final String CREATE_ROW = """
            insert into orders (reseller_id, product_id, pricing_id, product_name, pricing_label, amount_usd,
                                period_type, period_duration, status, kind, location_id, created_at, updated_at, idempotency_key)
            select $1::bigint, p.id, pr.id, p.name, pr.label, pr.price, pr.period_type, pr.period_duration, $4::text, 'purchase',
                   $5::text, $6::timestamp, $6::timestamp, $7::text
            from products p join pricings pr on pr.product_id = p.id
            where p.id = $2 and pr.id = $3 and p.active and pr.active
              and """ + KnownLocations.acceptsSql("$5");
    /** The end of {@link #CREATE}: a key another order holds means no row (the caller reads that order). */
    private static final String CREATE_END = "\non conflict (reseller_id, idempotency_key) where idempotency_key is not null do nothing"
            + "\nreturning " + COLUMNS;
    private static final String CREATE = CREATE_ROW + CREATE_END;
    /**
     * {@link #CREATE} under a key ($7), still one statement: an order created at or before $8 (the key's
     * {@link ForwardedIdempotencyKey#cutoff}) lets go of the key first, so the new order takes it (the gateway forgot the
     * key then and forwarded this request as new). The insert's condition reads {@code freed}, which runs the update
     * before the insert (an update no one reads runs after the main statement, too late for its conflict check); the
     * old row version, deleted by this transaction, is no conflict for the unique index. Only for keyed requests:
     * the unkeyed purchase (bench/pay) keeps its statement as it was.
     */
    private static final String CREATE_KEYED = """
            with freed as (update orders set idempotency_key = null
                           where reseller_id = $1 and idempotency_key = $7 and created_at <= $8::timestamp returning id)
            """ + CREATE_ROW + "\n  and (select count(*) from freed) >= 0" + CREATE_END;

    /**
     * Snapshots the tier's price and period into a new pending order. 404 "Product not found" when the
     * product is unknown or retired, "Pricing not found for this product" when the tier is (or is another
     * product's): {@link CatalogService#select} tells which, read only when the insert found nothing. 422
     * "Unknown location_id 'PAR'" when {@code locationId} is not a location the fleet serves
     * ({@link KnownLocations}: checked in the insert itself, no call to the fleet; docs/events.md "Locations").
     */
    public Uni<Order> create(long resellerId, long productId, long pricingId, String locationId) {
        return create(resellerId, productId, pricingId, locationId, null);
    }

    /**
     * {@link #create(long, long, long, String)} under the caller's {@code Idempotency-Key} ({@code null}: none): the
     * first request with the key creates the order, and any later one answers that order (the same 201), as long as
     * it asks for the same product, pricing and location; else 422 {@code idempotency_key_reused}. The key is stored
     * with the order (V9), so a retry the gateway forwards after giving up on the first request (it may have finished
     * here) finds it (docs/api.md "Idempotency-Key", "What the services keep"). The order holds the key for
     * {@link ForwardedIdempotencyKey#RETENTION} from its {@code created_at}, as the gateway does: a request with the key
     * after that is a new purchase, and its order takes the key ({@link #CREATE_KEYED}).
     */
    public Uni<Order> create(long resellerId, long productId, long pricingId, String locationId, String idempotencyKey) {
        LocalDateTime now = now();
        LocalDateTime cutoff = ForwardedIdempotencyKey.cutoff(now);
        Uni<io.vertx.mutiny.sqlclient.RowSet<io.vertx.mutiny.sqlclient.Row>> inserted = idempotencyKey == null
                ? pool.preparedQuery(CREATE).execute(Tuple.tuple(java.util.Arrays.asList(resellerId, productId, pricingId,
                        OrderStatus.PENDING_PAYMENT, locationId, now, null)))
                : pool.preparedQuery(CREATE_KEYED).execute(Tuple.tuple(java.util.Arrays.asList(resellerId, productId, pricingId,
                        OrderStatus.PENDING_PAYMENT, locationId, now, idempotencyKey, cutoff)));
        return inserted
                .chain(rows -> rows.iterator().hasNext()
                        ? Uni.createFrom().item(fromRow(rows.iterator().next()))
                        : idempotencyKey == null ? notCreated(productId, pricingId, locationId)
                        : byIdempotencyKey(resellerId, idempotencyKey, cutoff).chain(earlier -> earlier == null
                                ? notCreated(productId, pricingId, locationId)
                                : Uni.createFrom().item(sameRequest(earlier, Order.PURCHASE, productId, pricingId, locationId, null))));
    }

    /** Why the insert of a new order found no row: the product, the pricing or the location (404, 404, 422). */
    private Uni<Order> notCreated(long productId, long pricingId, String locationId) {
        return Panache.withSession(() -> catalog.select(productId, pricingId))
                .chain(selection -> locations.accepts(locationId))
                .map(accepted -> {
                    if (!accepted) {
                        throw ApiException.unprocessable("Unknown location_id '" + locationId + "'");
                    }
                    // the catalog changed between the insert and these reads: still no order
                    throw ApiException.notFound("Pricing not found for this product");
                });
    }

    /**
     * The reseller's order created under {@code idempotencyKey} (V9) after {@code cutoff} (the key's
     * {@link ForwardedIdempotencyKey#cutoff}: an older order no longer holds it, as the gateway no longer does), or
     * null; read on the Pool.
     */
    private Uni<Order> byIdempotencyKey(long resellerId, String idempotencyKey, LocalDateTime cutoff) {
        return pool.preparedQuery("select " + COLUMNS + " from orders where reseller_id = $1 and idempotency_key = $2"
                        + " and created_at > $3")
                .execute(Tuple.of(resellerId, idempotencyKey, cutoff))
                .map(rows -> rows.iterator().hasNext() ? fromRow(rows.iterator().next()) : null);
    }

    /**
     * {@code earlier}, the order an {@code Idempotency-Key} created, when this request asks for the same: a {@code kind}
     * order of that product (purchases; {@code productId} null: any) or proxy (renewals), pricing and location; else
     * 422 {@code idempotency_key_reused}, the gateway's answer to a key reused with another body (docs/api.md).
     */
    private static Order sameRequest(Order earlier, String kind, Long productId, long pricingId, String locationId, Long proxyId) {
        boolean same = kind.equals(earlier.kind) && earlier.pricingId == pricingId
                && (productId == null || earlier.productId == productId)
                && java.util.Objects.equals(earlier.locationId, locationId)
                && (proxyId == null || proxyId.equals(earlier.proxyId));
        if (!same) {
            throw ForwardedIdempotencyKey.reused("order");
        }
        return earlier;
    }


    /** An order as {@link #COLUMNS} returned it (a detached entity: for reading, not for Hibernate to save). */
    static Order fromRow(io.vertx.mutiny.sqlclient.Row row) {
        Order order = new Order();
        order.id = row.getLong("id");
        order.resellerId = row.getLong("reseller_id");
        order.productId = row.getLong("product_id");
        order.pricingId = row.getLong("pricing_id");
        order.productName = row.getString("product_name");
        order.pricingLabel = row.getString("pricing_label");
        order.amountUsd = row.getBigDecimal("amount_usd");
        order.periodType = row.getString("period_type");
        order.periodDuration = row.getInteger("period_duration");
        order.status = row.getString("status");
        order.kind = row.getString("kind");
        order.proxyId = row.getLong("proxy_id");
        order.locationId = row.getString("location_id");
        order.failureReason = row.getString("failure_reason");
        order.createdAt = row.getLocalDateTime("created_at");
        order.paidAt = row.getLocalDateTime("paid_at");
        order.expiresAt = row.getLocalDateTime("expires_at");
        order.updatedAt = row.getLocalDateTime("updated_at");
        return order;
    }

    /**
     * The reseller's order for pay, read on the Pool (pay's other statements are there too), with whether the
     * fleet has since stopped serving the location it names ({@link KnownLocations#retiredSql}); 404 when it is not
     * theirs.
     */
    private Uni<Payable> read(long resellerId, long orderId) {
        return pool.preparedQuery("select " + COLUMNS + ", pay_idempotency_key, pay_new_balance, "
                        + KnownLocations.retiredSql("orders.location_id")
                        + " as location_retired from orders where id = $1 and reseller_id = $2")
                .execute(Tuple.of(orderId, resellerId))
                .map(rows -> {
                    if (!rows.iterator().hasNext()) {
                        throw ApiException.notFound("Order not found");
                    }
                    io.vertx.mutiny.sqlclient.Row row = rows.iterator().next();
                    Order order = fromRow(row);
                    order.payIdempotencyKey = row.getString("pay_idempotency_key");
                    order.payNewBalance = row.getBigDecimal("pay_new_balance");
                    return new Payable(order, Boolean.TRUE.equals(row.getBoolean("location_retired")));
                });
    }

    /** An order about to be paid, and whether its location was removed from the fleet after it was created. */
    private record Payable(Order order, boolean locationRetired) {
    }

    /**
     * A renewal order for the reseller's proxy {@code proxyId} on {@code pricingId}, a tier of the product the
     * proxy was bought as (docs/money.md, "Renewals"). Once paid, the fleet moves the proxy's expires_at
     * forward by the tier's period: same proxy, same credentials. 404 "Proxy not found" when the reseller
     * bought no such proxy; 409 when it is not active (still provisioning, failed or expired: an expired
     * proxy is bought anew); 404 when the pricing is not one of the product's.
     */
    public Uni<Order> renew(long resellerId, long proxyId, long pricingId) {
        return renew(resellerId, proxyId, pricingId, null);
    }

    /**
     * {@link #renew(long, long, long)} under the caller's {@code Idempotency-Key} ({@code null}: none), as
     * {@link #create(long, long, long, String, String)}: one renewal order per key, answered again to a request for the
     * same proxy and pricing, 422 {@code idempotency_key_reused} to another, for {@link ForwardedIdempotencyKey#RETENTION}
     * from the renewal's {@code created_at}; after that the key makes a new renewal. Two requests with one key at once
     * (only after the gateway gave up on the first) meet at the unique index, and the loser answers the winner's order.
     */
    public Uni<Order> renew(long resellerId, long proxyId, long pricingId, String idempotencyKey) {
        if (idempotencyKey == null) {
            return newRenewal(resellerId, proxyId, pricingId, null, null);
        }
        LocalDateTime cutoff = ForwardedIdempotencyKey.cutoff(now());
        return byIdempotencyKey(resellerId, idempotencyKey, cutoff).chain(earlier -> earlier != null
                ? Uni.createFrom().item(sameRequest(earlier, Order.RENEWAL, null, pricingId, null, proxyId))
                : newRenewal(resellerId, proxyId, pricingId, idempotencyKey, cutoff)
                        // no row under the key: another unique index refused it, and that failure is the answer
                        .onFailure(ForwardedIdempotencyKey::isKeyTaken).recoverWithUni(raced -> byIdempotencyKey(resellerId, idempotencyKey, cutoff)
                                .onItem().ifNull().failWith(raced)
                                .map(winner -> sameRequest(winner, Order.RENEWAL, null, pricingId, null, proxyId))));
    }

    /**
     * A new renewal order, under {@code idempotencyKey} (null: none); an order created at or before {@code cutoff} with
     * that key lets go of it first, in the same transaction, so this one takes it ({@link #CREATE_KEYED}).
     */
    private Uni<Order> newRenewal(long resellerId, long proxyId, long pricingId, String idempotencyKey, LocalDateTime cutoff) {
        return Panache.withTransaction(() -> releaseKey(resellerId, idempotencyKey, cutoff).chain(() -> purchaseOf(resellerId, proxyId)).chain(purchase -> {
            if (purchase == null) {
                return Uni.createFrom().failure(ApiException.notFound("Proxy not found"));
            }
            if (!OrderStatus.ACTIVE.equals(purchase.status)) {
                return Uni.createFrom().failure(ApiException.conflict(
                        "Only an active proxy can be renewed (its order is " + purchase.status + ")"));
            }
            return catalog.select(purchase.productId, pricingId).chain(selection -> {
                Order renewal = newOrder(resellerId, selection);
                renewal.kind = Order.RENEWAL;
                renewal.proxyId = proxyId;
                renewal.idempotencyKey = idempotencyKey;
                return renewal.<Order>persist();
            });
        }));
    }

    /**
     * In the caller's transaction: the reseller's order created at or before {@code cutoff} under {@code idempotencyKey}
     * no longer holds the key (nothing without a key). Its retention is over: the gateway forwards a request with the
     * key as new, and the unique index would otherwise refuse the new order.
     */
    private static Uni<Void> releaseKey(long resellerId, String idempotencyKey, LocalDateTime cutoff) {
        if (idempotencyKey == null) {
            return Uni.createFrom().voidItem();
        }
        return Order.update("idempotencyKey = null where resellerId = ?1 and idempotencyKey = ?2 and createdAt <= ?3",
                resellerId, idempotencyKey, cutoff).replaceWithVoid();
    }

    /** The purchase order that bought the reseller's proxy {@code proxyId}, or null. */
    private Uni<Order> purchaseOf(long resellerId, long proxyId) {
        return Order.<Order>find("proxyId = ?1 and resellerId = ?2 and kind = ?3", proxyId, resellerId, Order.PURCHASE)
                .firstResult();
    }

    private Order newOrder(long resellerId, CatalogService.Selection selection) {
        Order order = new Order();
        order.resellerId = resellerId;
        order.productId = selection.product().id;
        order.pricingId = selection.pricing().id;
        order.productName = selection.product().name;
        order.pricingLabel = selection.pricing().label;
        order.amountUsd = selection.pricing().price;
        order.periodType = selection.pricing().periodType;
        order.periodDuration = selection.pricing().periodDuration;
        order.status = OrderStatus.PENDING_PAYMENT;
        order.createdAt = now();
        order.updatedAt = order.createdAt;
        return order;
    }

    /**
     * In the {@code proxy.renewal_due} consumer's transaction: the auto-renewal of proxy {@code proxyId},
     * bought by order {@code purchaseOrderId}. A renewal order on the purchase's tier at today's catalog price,
     * and {@code charge.requested} for it: billing charges it from the balance ({@code charge.posted} → paid →
     * {@code order.paid} → the fleet extends the proxy) or refuses ({@code charge.refused} →
     * {@link #cancelRefused}). Nothing is written when the purchase is not this reseller's active order (the
     * proxy ended meanwhile), its tier left the catalog, or the proxy's expiry {@code renewsExpiry} already has a
     * renewal that is not cancelled or failed (a second checkpoint, or auto_renew switched off and on, asked again
     * before the first renewal moved the expiry: two replicas' sweeps charged one period twice; migration V8);
     * false then.
     */
    public Uni<Boolean> autoRenew(Mutiny.Session session, long resellerId, long proxyId, long purchaseOrderId,
                                  LocalDateTime renewsExpiry) {
        return session.find(Order.class, purchaseOrderId).chain(purchase -> {
            if (purchase == null || purchase.resellerId != resellerId || !Long.valueOf(proxyId).equals(purchase.proxyId)
                    || !OrderStatus.ACTIVE.equals(purchase.status)) {
                LOG.infof("Auto-renewal of proxy %d skipped: its order %d is not active", proxyId, purchaseOrderId);
                return Uni.createFrom().item(false);
            }
            return session.createSelectionQuery("""
                            select id from Order where proxyId = :proxy and renewsExpiry = :expiry
                            and status not in (:cancelled, :failed)""", Long.class)
                    .setParameter("proxy", proxyId).setParameter("expiry", renewsExpiry)
                    .setParameter("cancelled", OrderStatus.CANCELLED).setParameter("failed", OrderStatus.FAILED)
                    .setMaxResults(1).getResultList()
                    .chain(existing -> {
                        if (!existing.isEmpty()) {
                            LOG.infof("Auto-renewal of proxy %d skipped: order %d already renews its expiry %s", proxyId,
                                    existing.get(0), renewsExpiry);
                            return Uni.createFrom().item(false);
                        }
                        return newAutoRenewal(session, resellerId, proxyId, purchase, renewsExpiry);
                    });
        });
    }

    /** {@link #autoRenew}'s renewal order of {@code proxyId} on {@code purchase}'s tier, and its charge request. */
    private Uni<Boolean> newAutoRenewal(Mutiny.Session session, long resellerId, long proxyId, Order purchase,
                                        LocalDateTime renewsExpiry) {
        return catalog.select(purchase.productId, purchase.pricingId)
                .onFailure(ApiException.class).recoverWithNull()
                .chain(selection -> {
                    if (selection == null) {
                        LOG.warnf("Auto-renewal of proxy %d skipped: pricing %d of product %d is no longer sold",
                                proxyId, purchase.pricingId, purchase.productId);
                        return Uni.createFrom().item(false);
                    }
                    Order renewal = newOrder(resellerId, selection);
                    renewal.kind = Order.RENEWAL;
                    renewal.proxyId = proxyId;
                    renewal.renewsExpiry = renewsExpiry;
                    return session.persist(renewal).call(session::flush)
                            .chain(() -> Outbox.append(session, mapper, EventEnvelope.of(EventTypes.CHARGE_REQUESTED, resellerId,
                                    new ChargeRequested(renewal.id, chargeReference(renewal.id), renewal.amountUsd,
                                            description(renewal) + " (auto-renewal of proxy " + proxyId + ")"), clock)))
                            .replaceWith(true);
                });
    }

    /**
     * In the {@code charge.refused} consumer's transaction: billing refused the charge it was asked for, so the
     * (pending) order is cancelled with the reason and {@code order.cancelled} names its proxy; the fleet tells
     * the reseller the proxy will expire ({@code proxy.expiring}). False when the order is not pending (paid by
     * another path, or already cancelled): nothing is written.
     */
    public Uni<Boolean> cancelRefused(Mutiny.Session session, long orderId, long resellerId, String reason) {
        return session.find(Order.class, orderId, LockMode.PESSIMISTIC_WRITE).chain(order -> {
            if (order == null || order.resellerId != resellerId || !OrderStatus.PENDING_PAYMENT.equals(order.status)) {
                return Uni.createFrom().item(false);
            }
            LocalDateTime now = now();
            OrderStatus.require(order.status, OrderStatus.CANCELLED);
            order.status = OrderStatus.CANCELLED;
            order.failureReason = ChargeRefused.INSUFFICIENT_BALANCE.equals(reason) ? "Insufficient balance" : "Charge refused: " + reason;
            order.updatedAt = now;
            String cancelReason = ChargeRefused.INSUFFICIENT_BALANCE.equals(reason)
                    ? OrderCancelled.INSUFFICIENT_BALANCE : OrderCancelled.CHARGE_REFUSED;
            return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.ORDER_CANCELLED, resellerId,
                    new OrderCancelled(order.id, cancelReason, now, order.proxyId), clock)).replaceWith(true);
        });
    }

    /**
     * In the {@code proxy.renewed} consumer's transaction: the renewal order {@code orderId} is active with the
     * proxy's new expiry, and every active order of the proxy (its purchase, earlier renewals) shows that
     * expiry. Repeats change nothing.
     */
    public Uni<Integer> markRenewed(Mutiny.Session session, long resellerId, long proxyId, long orderId, LocalDateTime expiresAt) {
        LocalDateTime now = now();
        return session.createNativeQuery("""
                        update orders set status = :active, expires_at = :at, updated_at = :now
                        where id = :order and reseller_id = :reseller and kind = 'renewal' and status in (:from)""")
                .setParameter("active", OrderStatus.ACTIVE)
                .setParameter("at", expiresAt)
                .setParameter("now", now)
                .setParameter("order", orderId)
                .setParameter("reseller", resellerId)
                .setParameter("from", OrderStatus.before(OrderStatus.ACTIVE))
                .executeUpdate()
                .chain(() -> session.createNativeQuery("""
                                update orders set expires_at = :at, updated_at = :now
                                where proxy_id = :proxy and reseller_id = :reseller and status = :active
                                  and expires_at < :at""")
                        .setParameter("at", expiresAt)
                        .setParameter("now", now)
                        .setParameter("proxy", proxyId)
                        .setParameter("reseller", resellerId)
                        .setParameter("active", OrderStatus.ACTIVE)
                        .executeUpdate());
    }

    private static String description(Order order) {
        return order.productName + " — " + order.pricingLabel;
    }

    public Uni<Order> get(long resellerId, long orderId) {
        return Panache.withSession(() -> find(resellerId, orderId));
    }

    private Uni<Order> find(long resellerId, long orderId) {
        return Order.<Order>find("id = ?1 and resellerId = ?2", orderId, resellerId).firstResult()
                .onItem().ifNull().failWith(() -> ApiException.notFound("Order not found"));
    }

    public Uni<Page> list(long resellerId, String status, int limit, int offset) {
        String where = status == null ? "resellerId = :reseller" : "resellerId = :reseller and status = :status";
        Parameters params = Parameters.with("reseller", resellerId);
        if (status != null) {
            params = params.and("status", status);
        }
        Parameters query = params;
        return Panache.withSession(() -> Order.count(where, query).chain(total -> Order.<Order>find(where + " order by id desc", query)
                .range(offset, offset + limit - 1).list()
                .map(orders -> new Page(orders, total))));
    }

    public record Page(List<Order> orders, long total) {
    }

    /**
     * Charges the order's amount and marks it paid, announcing {@code order.paid} in the same transaction.
     *
     * <p>The charge comes first and is idempotent on the reference {@code order:<id>}: if anything after it
     * fails (this service dies, the database is briefly gone), billing's {@code charge.posted} completes the
     * order anyway, and paying again finds the existing charge. So a reseller is never charged twice for
     * one order, and an order is never paid without its charge.
     *
     * <p>The answer follows the money: the one pay request whose charge billing posted (201) answers 200
     * {@code {"order_id", "status": "paid", "new_balance"}}, even when {@code charge.posted} marked the
     * order paid before this request got to it. Every other pay of the order answers 409, including one
     * racing it whose charge billing only replayed (docs/decisions.md, "pay answers what happened").
     */
    public Uni<PayResult> pay(long resellerId, long orderId, String authorization) {
        return pay(resellerId, orderId, authorization, null);
    }

    /**
     * {@link #pay(long, long, String)} under the caller's {@code Idempotency-Key} ({@code null}: none). The key is noted
     * on the order while it waits for payment (the latest pay's key, V9), before billing is called; once the order is
     * paid, a pay with that key answers what the paying request answered, 200 {@code {"order_id", "status": "paid",
     * "new_balance"}} with the balance right after the charge, whoever marked the order paid (this pay, an earlier one
     * the gateway gave up on, or charge.posted). So a retry with the same key after a 503 learns the outcome instead of
     * a 409 (new-user review, stop 32, M2); for {@link ForwardedIdempotencyKey#RETENTION} from the order's {@code paid_at}
     * ({@link #payKeyKept}), then the key is forgotten. Without the key, with another one, or after that, the rules of
     * the three-argument form.
     */
    public Uni<PayResult> pay(long resellerId, long orderId, String authorization, String idempotencyKey) {
        return read(resellerId, orderId)
                .chain(payable -> {
                    Order order = payable.order();
                    if (idempotencyKey != null && idempotencyKey.equals(order.payIdempotencyKey) && payKeyKept(order)
                            && order.payNewBalance != null) {
                        return Uni.createFrom().item(new PayResult(order.id, OrderStatus.PAID, order.payNewBalance));
                    }
                    if (OrderStatus.CANCELLED.equals(order.status)) {
                        // its own reason: an auto-renewal billing refused was cancelled for the balance, not the time
                        return Uni.createFrom().failure(ApiException.conflict("Order was cancelled: "
                                + (order.failureReason == null ? unpaidReason() : order.failureReason)));
                    }
                    if (!OrderStatus.PENDING_PAYMENT.equals(order.status)) {
                        return Uni.createFrom().failure(ApiException.conflict("Order is not pending payment (status: " + order.status + ")"));
                    }
                    if (payable.locationRetired()) {
                        // The fleet would fail it and refund the charge: say so before any money moves.
                        return Uni.createFrom().failure(ApiException.conflict("Location " + order.locationId
                                + " is no longer served: this order cannot be paid; create a new order"));
                    }
                    Uni<Void> noted = idempotencyKey == null ? Uni.createFrom().voidItem()
                            : pool.preparedQuery(NOTE_PAY_KEY).execute(Tuple.of(order.id, idempotencyKey, OrderStatus.PENDING_PAYMENT))
                                    .replaceWithVoid();
                    return noted.chain(() -> charge(order, authorization))
                            .chain(charge -> markPaid(order, charge, idempotencyKey))
                            .onFailure(ApiException.class).recoverWithUni(refused -> idempotencyKey == null
                                    ? Uni.createFrom().failure(refused) : replayOrFail(resellerId, orderId, idempotencyKey, refused));
                });
    }

    /**
     * A keyed pay whose own charge was not the posting one ({@code refused}: its 409): when the order is paid and its
     * latest pay key is this one, an earlier request with the key paid it, and this answers as that one did; when the
     * balance after the charge is not recorded yet (that request is still finishing), 409 {@code idempotency_in_progress};
     * otherwise {@code refused} as it was.
     */
    private Uni<PayResult> replayOrFail(long resellerId, long orderId, String idempotencyKey, ApiException refused) {
        if (refused.status() != 409) {
            return Uni.createFrom().failure(refused);
        }
        return read(resellerId, orderId).map(payable -> {
            Order order = payable.order();
            if (!idempotencyKey.equals(order.payIdempotencyKey) || !payKeyKept(order)) {
                throw refused;
            }
            if (order.payNewBalance == null) {
                // 503, not 409 idempotency_in_progress: the gateway keeps every 4xx under the key and would replay it
                // for good; a 5xx releases the key, so the retry comes here again (static review, stop 32, H2)
                throw ApiException.unavailable("The pay with this Idempotency-Key is still being completed: retry in a few"
                        + " seconds with the same key").retryAfter(java.time.Duration.ofSeconds(2));
            }
            return new PayResult(order.id, OrderStatus.PAID, order.payNewBalance);
        });
    }

    /**
     * Whether a paid (or further on) {@code order}'s pay key still answers: within {@link ForwardedIdempotencyKey#RETENTION}
     * of its {@code paid_at}. Decided: paid_at, not a time of its own for the key, as no column is needed and it is
     * the time of the paying charge, whose request's key the order keeps (MARK_PAID, KEEP_PAYING_KEY): seconds after
     * the gateway took that key (later only when charge.posted marked the order paid long after a timed-out pay).
     * After it, the gateway forgot the key too, and a pay with it is any pay of a paid order: 409.
     */
    private boolean payKeyKept(Order order) {
        return OrderStatus.paidOrFurther(order.status) && order.paidAt != null
                && order.paidAt.isAfter(ForwardedIdempotencyKey.cutoff(now()));
    }

    /** The charge billing answered: its balance after, and whether this call posted it (201) or replayed it (200). */
    private record Charge(BigDecimal balance, boolean posted) {
    }

    private Uni<Charge> charge(Order order, String authorization) {
        var request = new BillingClient.ChargeRequest(chargeReference(order.id), order.amountUsd,
                description(order), config.sendOrderId() ? order.id : null);
        return billing.charge(authorization, request)
                // A refused connection never reached billing (an instance killed or restarting): safe to
                // send again, and the balancer picks another instance (docs/operations.md "Two of everything").
                .onFailure(OrderService::isConnectFailure).retry().atMost(1)
                .map(response -> new Charge(response.getEntity().balance(), response.getStatus() == 201))
                .onFailure().transform(failure -> {
                    if (failure instanceof WebApplicationException wae) {
                        int status = wae.getResponse().getStatus();
                        if (status == 402) {
                            return ApiException.paymentRequired("Insufficient balance");
                        }
                        if (status == 409) {
                            return ApiException.conflict("The order's charge conflicts with an earlier one");
                        }
                    }
                    if (failure instanceof ApiException) {
                        return failure;
                    }
                    // Billing unreachable, timed out or failing: a retry never charges twice (the reference is
                    // idempotent). Unreachable or answering an error, it charged nothing and the order stays
                    // pending_payment; timed out, it may still post the charge, and charge.posted then marks the order
                    // paid: say so, not "not charged" (new-user review, stop 32, M2). Only an answer we cannot explain
                    // is a bug (500).
                    LOG.warnf(failure, "Charging order %d failed", order.id);
                    if (!(failure instanceof ProcessingException || failure instanceof WebApplicationException
                            || failure instanceof java.io.IOException || failure instanceof java.util.concurrent.TimeoutException)) {
                        return failure;
                    }
                    return isConnectFailure(failure) || failure instanceof WebApplicationException
                            ? ApiException.unavailable("Billing is unavailable, the order was not charged: try again")
                            : ApiException.unavailable("Billing did not confirm the charge in time: the order may have been charged."
                                    + " Read the order, or pay again with the same Idempotency-Key to get the outcome; it is never charged twice");
                });
    }

    /**
     * Pay's half after the charge, as one statement on the Vert.x Pool (one round trip, its own transaction):
     * the order becomes paid if it still may ({@link OrderStatus#before} paid: pending_payment or cancelled)
     * and, in the same statement, {@code order.paid} goes to the outbox; nothing is written otherwise. The
     * update's row lock and its re-check of the status on the latest row version make it agree with the
     * charge.posted backstop ({@link #markPaid(Mutiny.Session, long, long)}) on one order.paid. {@code was}:
     * the status before (only for the log). The event carries the order's snapshot columns, which never change
     * after creation, from the read that started the pay. Replaces BEGIN, select for update, update, outbox
     * insert and COMMIT through Hibernate (five round trips; docs/benchmarks.md "bench/pay").
     */
    private static final String MARK_PAID = """
            with prev as (select status as was from orders where id = $1),
            paid as (
                update orders set status = $3::text, paid_at = $4::timestamp, updated_at = $4::timestamp,
                                  failure_reason = null, pay_new_balance = coalesce($11::numeric, pay_new_balance),
                                  pay_idempotency_key = case when $12::boolean then $13::text else pay_idempotency_key end
                where id = $1 and reseller_id = $2 and status = any($5::text[])
                returning id)
            insert into outbox_events (id, topic, message_key, payload, traceparent)
            select $6::uuid, $7::text, $8::text, $9::text, $10::text from paid
            returning (select was from prev)""";

    private Uni<PayResult> markPaid(Order order, Charge charge, String idempotencyKey) {
        LocalDateTime paidAt = now();
        Outbox.Row event = Outbox.row(mapper, paidEvent(order, paidAt));
        Tuple params = Tuple.tuple(java.util.Arrays.asList(order.id, order.resellerId, OrderStatus.PAID, paidAt,
                OrderStatus.before(OrderStatus.PAID).toArray(String[]::new),
                event.id(), event.topic(), event.key(), event.payload(), event.traceparent(),
                // the balance right after the charge, for a pay replayed by its Idempotency-Key: only a posting answer has it;
                // and the key of the request whose charge was posted (null: none), not the latest noted one (review, M1)
                charge.posted() ? charge.balance() : null, charge.posted(), idempotencyKey));
        return pool.preparedQuery(MARK_PAID).execute(params)
                .map(rows -> {
                    boolean marked = rows.rowCount() == 1;
                    if (marked && OrderStatus.CANCELLED.equals(rows.iterator().next().getString(0))) {
                        LOG.warnf("Order %d was cancelled unpaid while its pay was under way; its charge went through, so it is paid", order.id);
                    }
                    return marked;
                })
                // Posted, but charge.posted marked the order first: the paying request's key and balance still go on it
                // (rare: billing announces before it answers), so that its retry answers as it did.
                .call(marked -> marked || !charge.posted() ? Uni.createFrom().voidItem()
                        : pool.preparedQuery(KEEP_PAYING_KEY).execute(Tuple.of(order.id, idempotencyKey, charge.balance())).replaceWithVoid())
                .map(marked -> {
                    // Not marked: charge.posted (or another pay) completed the order first. Marked with a
                    // replayed charge: an earlier pay moved the money (and this one only completed it).
                    // Either way the order is paid; only the request that posted the charge answers 200.
                    if (!charge.posted()) {
                        // the same words as a pay that found it paid already (new-user review, stop 30, L4)
                        throw ApiException.conflict("Order is not pending payment (status: " + OrderStatus.PAID + ")");
                    }
                    return new PayResult(order.id, OrderStatus.PAID, charge.balance());
                });
    }

    /**
     * In the caller's transaction: an order whose charge went through becomes paid and {@code order.paid}
     * goes to the outbox. False (and nothing written) when the order was paid already (or is further on).
     * Used by pay and by the charge.posted backstop; the row lock makes the two agree on one order.paid.
     * A cancelled order is paid too: its charge can only come from a pay that started before the
     * cancellation, and the money decides (OrderStatus).
     */
    public Uni<Boolean> markPaid(Mutiny.Session session, long orderId, long resellerId) {
        return markPaid(session, orderId, resellerId, null);
    }

    /**
     * {@link #markPaid(Mutiny.Session, long, long)} from {@code charge.posted}, which names the balance right after the
     * charge ({@code balanceAfter}, null: not known): recorded for a pay replayed by its {@code Idempotency-Key}.
     */
    public Uni<Boolean> markPaid(Mutiny.Session session, long orderId, long resellerId, BigDecimal balanceAfter) {
        return session.find(Order.class, orderId, LockMode.PESSIMISTIC_WRITE).chain(order -> {
            if (order == null || order.resellerId != resellerId) {
                return Uni.createFrom().item(false);
            }
            if (!OrderStatus.allows(order.status, OrderStatus.PAID)) {
                // paid already, by a pay whose charge billing only replayed: its Idempotency-Key's answer needs this
                // balance (static review, stop 32, H1); the status and order.paid stay as they are
                if (OrderStatus.paidOrFurther(order.status) && order.payIdempotencyKey != null && order.payNewBalance == null
                        && balanceAfter != null) {
                    order.payNewBalance = balanceAfter;
                }
                return Uni.createFrom().item(false);
            }
            if (OrderStatus.CANCELLED.equals(order.status)) {
                LOG.warnf("Order %d was cancelled unpaid while its pay was under way; its charge went through, so it is paid", order.id);
            }
            LocalDateTime paidAt = now();
            OrderStatus.require(order.status, OrderStatus.PAID);
            order.status = OrderStatus.PAID;
            order.paidAt = paidAt;
            order.updatedAt = paidAt;
            order.failureReason = null; // a cancellation's reason, when its charge went through after all
            if (balanceAfter != null) {
                order.payNewBalance = balanceAfter;
            }
            return Outbox.append(session, mapper, paidEvent(order, paidAt)).replaceWith(true);
        });
    }

    /** {@code order.paid} for {@code order} (its snapshot columns, set at creation and never changed) paid at {@code paidAt}. */
    private EventEnvelope<OrderPaid> paidEvent(Order order, LocalDateTime paidAt) {
        return EventEnvelope.of(EventTypes.ORDER_PAID, order.resellerId, new OrderPaid(
                order.id, order.productId, order.pricingId, order.productName, order.pricingLabel,
                order.amountUsd, order.periodType, order.periodDuration, paidAt,
                order.isRenewal() ? order.proxyId : null, order.locationId), clock);
    }

    /**
     * Whether order {@code orderId} of {@code resellerId} is paid or further on ({@link OrderStatus#paidOrFurther}):
     * one read on the Pool, no transaction. False for an unknown order. The charge.posted backstop asks this
     * first: when pay finished (the normal case) the event has nothing left to do, and stays so. Also false for a paid
     * order whose keyed pay has no balance after its charge yet ({@link #doneWith}): the event brings it.
     */
    public Uni<Boolean> isPaid(long orderId, long resellerId) {
        return pool.preparedQuery("select status, pay_idempotency_key, pay_new_balance from orders where id = $1 and reseller_id = $2")
                .execute(Tuple.of(orderId, resellerId))
                .map(rows -> rows.iterator().hasNext() && doneWith(rows.iterator().next()));
    }

    /**
     * Whether charge.posted has nothing left to do for an order row: paid or further on, and, when a pay with an
     * {@code Idempotency-Key} is noted, its balance after the charge known. A keyed pay retried before charge.posted
     * arrived could mark the order paid with billing's replay, which carries no balance after the charge; skipping the
     * event then left the retry without its 200 for good (static review, stop 32, H1).
     */
    private static boolean doneWith(io.vertx.mutiny.sqlclient.Row row) {
        return OrderStatus.paidOrFurther(row.getString("status"))
                && (row.getString("pay_idempotency_key") == null || row.getBigDecimal("pay_new_balance") != null);
    }

    /**
     * {@link #isPaid} for many orders in one read: of the orders {@code orderIds[i]} of {@code resellerIds[i]},
     * the ids of those paid or further on. Unknown orders, or an order under another reseller's id, are not in
     * it. The charge.posted backstop asks this for a whole Kafka poll.
     */
    public Uni<java.util.Set<Long>> paidAmong(Long[] orderIds, Long[] resellerIds) {
        return pool.preparedQuery("""
                        select o.id, o.status, o.pay_idempotency_key, o.pay_new_balance from orders o
                        join unnest($1::bigint[], $2::bigint[]) as v(id, reseller_id) on o.id = v.id and o.reseller_id = v.reseller_id""")
                .execute(Tuple.of(orderIds, resellerIds))
                .map(rows -> {
                    java.util.Set<Long> paid = new java.util.HashSet<>();
                    rows.forEach(row -> {
                        if (doneWith(row)) {
                            paid.add(row.getLong("id"));
                        }
                    });
                    return paid;
                });
    }

    /** True for a failure before the request was sent: a refused or timed-out connect, at any depth. */
    static boolean isConnectFailure(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.ConnectException || cause instanceof io.netty.channel.ConnectTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** The idempotency reference of an order's charge in billing. */
    public static String chargeReference(long orderId) {
        return "order:" + orderId;
    }

    /**
     * In one transaction: cancels up to {@code batch} pending_payment orders created at or before
     * {@code cutoff}, announcing {@code order.cancelled} for each. Rows are claimed with
     * {@code for update skip locked}, so two replicas sweeping at once cancel disjoint orders, and the
     * update is conditional on pending_payment, so a pay that got there first wins. Returns how many.
     */
    public Uni<Integer> cancelUnpaid(LocalDateTime cutoff, int batch) {
        return Panache.withTransaction(() -> Panache.getSession().chain(session -> session.createNativeQuery("""
                        select id, reseller_id from orders
                        where status = :pending and created_at <= :cutoff
                        order by created_at, id limit :batch
                        for update skip locked""", Object[].class)
                .setParameter("pending", OrderStatus.PENDING_PAYMENT)
                .setParameter("cutoff", cutoff)
                .setParameter("batch", batch)
                .getResultList()
                .chain(rows -> {
                    if (rows.isEmpty()) {
                        return Uni.createFrom().item(0);
                    }
                    List<Long> ids = rows.stream().map(row -> ((Number) row[0]).longValue()).toList();
                    LocalDateTime now = now();
                    return session.createNativeQuery("""
                                    update orders set status = :cancelled, failure_reason = :reason, updated_at = :now
                                    where id in (:ids) and status in (:from)""")
                            .setParameter("cancelled", OrderStatus.CANCELLED)
                            .setParameter("reason", unpaidReason())
                            .setParameter("now", now)
                            .setParameter("ids", ids)
                            .setParameter("from", OrderStatus.before(OrderStatus.CANCELLED))
                            .executeUpdate()
                            .chain(() -> io.smallrye.mutiny.Multi.createFrom().iterable(rows)
                                    .onItem().transformToUniAndConcatenate(row -> Outbox.append(session, mapper, EventEnvelope.of(
                                            EventTypes.ORDER_CANCELLED, ((Number) row[1]).longValue(),
                                            new OrderCancelled(((Number) row[0]).longValue(), OrderCancelled.UNPAID_TIMEOUT, now), clock))
                                            .replaceWith(true))
                                    .collect().last())
                            .replaceWith(rows.size());
                })));
    }

    /**
     * An order cancelled unpaid's {@code failure_reason}, as the API shows it and pay's 409 says it: "Not paid
     * within 30 minutes" ({@code proxyvault.orders.unpaid-timeout}, in whole minutes, else seconds). The
     * {@code order.cancelled} event says {@code unpaid_timeout}; the order said nothing (new-user review).
     */
    private String unpaidReason() {
        long seconds = config.unpaidTimeout().toSeconds();
        long amount = seconds % 60 == 0 ? seconds / 60 : seconds;
        String unit = seconds % 60 == 0 ? "minute" : "second";
        return "Not paid within " + amount + " " + unit + (amount == 1 ? "" : "s");
    }

    /**
     * The {@code proxy.provision_failed} consumer's effect as one statement on the Pool (like
     * {@link #MARK_PAID}): the inbox row ({@code Inbox.FIRST_DELIVERY}: $1 event id, $2 handler), the
     * conditional update to failed (only from a state {@link OrderStatus#before} failed: $8) and the
     * {@code order.failed} outbox row, which is written only when the update changed the order. Two payloads
     * are prepared: $12 for an order never charged ("0.00", no charge reference) and $14 for a charged one
     * ({@code paid_at} set), whose {@code "refunded_amount":null} the statement replaces, as text, with the
     * amount the order row was charged (the rest stays byte for byte as Jackson wrote it). One round trip
     * where the Hibernate transaction took six (BEGIN, inbox, select for update, update, outbox, COMMIT).
     */
    private static final String MARK_FAILED = """
            with first_delivery as (
                insert into processed_events (event_id, handler) values ($1::uuid, $2::text)
                on conflict do nothing
                returning 1),
            failed as (
                update orders set status = $3::text, failure_reason = $4::text, updated_at = $5::timestamp
                where id = $6 and reseller_id = $7 and status = any($8::text[]) and exists (select 1 from first_delivery)
                returning id, amount_usd, paid_at)
            insert into outbox_events (id, topic, message_key, payload, traceparent)
            select $9::uuid, $10::text, $11::text,
                   case when f.paid_at is null then $12::text
                        else replace($14::text, '"refunded_amount":null', '"refunded_amount":' || to_json(f.amount_usd::text)::text) end,
                   $13::text
            from failed f
            returning (select paid_at is null from failed)""";

    /**
     * A paid or provisioning order becomes failed and {@code order.failed} goes to the outbox, once per
     * {@code proxy.provision_failed} event ({@code eventId}, {@code handler}: the inbox row, in the same
     * statement) — order-service's compensation decision, which billing carries out (docs/events.md
     * "Refunds"): give back {@code refunded_amount}, the order's charged amount, for the charge
     * {@code charge_reference} ({@code order:<id>}, the reference pay charged under). An order that was
     * never paid has nothing to give back: "0.00" and no charge reference (the lifecycle only fails paid or
     * provisioning orders, so this is a guard). False when the order is not failable (unknown, another
     * reseller's, unpaid, already active, failed or expired) or the event was applied before: nothing is
     * written, so nothing is refunded.
     */
    public Uni<Boolean> markFailed(java.util.UUID eventId, String handler, long orderId, long resellerId, String fleetReason) {
        String reason = fleetReason == null || fleetReason.isBlank() ? "provisioning failed" : fleetReason;
        LocalDateTime failedAt = now();
        // one event, two possible payloads (same id, topic, key, trace): which one depends on the order row
        EventEnvelope<OrderFailed> uncharged = EventEnvelope.of(EventTypes.ORDER_FAILED, resellerId,
                new OrderFailed(orderId, reason, new BigDecimal("0.00"), null, failedAt), clock);
        EventEnvelope<OrderFailed> charged = new EventEnvelope<>(uncharged.id(), uncharged.type(), uncharged.occurredAt(),
                uncharged.resellerId(), new OrderFailed(orderId, reason, null, chargeReference(orderId), failedAt));
        Outbox.Row event = Outbox.row(mapper, uncharged);
        Tuple params = Tuple.tuple(java.util.Arrays.asList(eventId, handler, OrderStatus.FAILED, reason, failedAt,
                orderId, resellerId, OrderStatus.before(OrderStatus.FAILED).toArray(String[]::new),
                event.id(), event.topic(), event.key(), event.payload(), event.traceparent(),
                Outbox.row(mapper, charged).payload()));
        return pool.preparedQuery(MARK_FAILED).execute(params).map(rows -> {
            if (rows.rowCount() == 0) {
                return false;
            }
            if (Boolean.TRUE.equals(rows.iterator().next().getBoolean(0))) {
                LOG.warnf("Order %d failed without a charge: nothing to refund", orderId);
            }
            return true;
        });
    }

    public record PayResult(long orderId, String status,
                            @com.fasterxml.jackson.annotation.JsonFormat(shape = com.fasterxml.jackson.annotation.JsonFormat.Shape.STRING)
                            BigDecimal newBalance) {
    }
}
