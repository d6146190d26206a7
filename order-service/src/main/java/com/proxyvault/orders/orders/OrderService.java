package com.proxyvault.orders.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.orders.catalog.CatalogService;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;
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

    public OrderService(CatalogService catalog, @RestClient BillingClient billing, ObjectMapper mapper, Clock clock) {
        this.catalog = catalog;
        this.billing = billing;
        this.mapper = mapper;
        this.clock = clock;
    }

    private LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }

    /** Snapshots the tier's price and period into a new pending order. */
    public Uni<Order> create(long resellerId, long productId, long pricingId) {
        return Panache.withTransaction(() -> catalog.select(productId, pricingId).chain(selection -> {
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
            return order.<Order>persist();
        }));
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
        return get(resellerId, orderId)
                .chain(order -> {
                    if (!OrderStatus.PENDING_PAYMENT.equals(order.status)) {
                        return Uni.createFrom().failure(ApiException.conflict("Order is not pending payment (status: " + order.status + ")"));
                    }
                    return charge(order, authorization).chain(charge -> markPaid(order, charge));
                });
    }

    /** The charge billing answered: its balance after, and whether this call posted it (201) or replayed it (200). */
    private record Charge(BigDecimal balance, boolean posted) {
    }

    private Uni<Charge> charge(Order order, String authorization) {
        var request = new BillingClient.ChargeRequest("order:" + order.id, order.amountUsd,
                order.productName + " — " + order.pricingLabel);
        return billing.charge(authorization, request)
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
                    LOG.warnf(failure, "Charging order %d failed", order.id);
                    return failure instanceof ProcessingException || failure instanceof WebApplicationException
                            ? ApiException.unavailable("Billing is unavailable, try again")
                            : failure;
                });
    }

    private Uni<PayResult> markPaid(Order order, Charge charge) {
        return Panache.withTransaction(() -> Panache.getSession().chain(session -> markPaid(session, order.id, order.resellerId)))
                .map(marked -> {
                    // Not marked: charge.posted (or another pay) completed the order first. Marked with a
                    // replayed charge: an earlier pay moved the money (and this one only completed it).
                    // Either way the order is paid; only the request that posted the charge answers 200.
                    if (!charge.posted()) {
                        throw ApiException.conflict("Order is already paid");
                    }
                    return new PayResult(order.id, OrderStatus.PAID, charge.balance());
                });
    }

    /**
     * In the caller's transaction: a pending order becomes paid and {@code order.paid} goes to the outbox.
     * False (and nothing written) when the order is not pending any more. Used by pay and by the
     * charge.posted backstop; the row lock makes the two agree on one order.paid.
     */
    public Uni<Boolean> markPaid(Mutiny.Session session, long orderId, long resellerId) {
        return session.find(Order.class, orderId, LockMode.PESSIMISTIC_WRITE).chain(order -> {
            if (order == null || order.resellerId != resellerId || !OrderStatus.PENDING_PAYMENT.equals(order.status)) {
                return Uni.createFrom().item(false);
            }
            LocalDateTime paidAt = now();
            order.status = OrderStatus.PAID;
            order.paidAt = paidAt;
            order.updatedAt = paidAt;
            var event = EventEnvelope.of(EventTypes.ORDER_PAID, order.resellerId, new OrderPaid(
                    order.id, order.productId, order.pricingId, order.productName, order.pricingLabel,
                    order.amountUsd, order.periodType, order.periodDuration, paidAt), clock);
            return Outbox.append(session, mapper, event).replaceWith(true);
        });
    }

    public record PayResult(long orderId, String status,
                            @com.fasterxml.jackson.annotation.JsonFormat(shape = com.fasterxml.jackson.annotation.JsonFormat.Shape.STRING)
                            BigDecimal newBalance) {
    }
}
