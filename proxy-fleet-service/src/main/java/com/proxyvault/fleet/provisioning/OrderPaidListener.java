package com.proxyvault.fleet.provisioning;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.contracts.events.ProxyProvisioning;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import com.proxyvault.platform.events.Inbox;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.platform.tracing.TraceParents;
import com.proxyvault.fleet.agents.FleetReplicas;
import com.proxyvault.fleet.agents.FleetStart;
import com.proxyvault.fleet.proxies.Proxy;
import com.proxyvault.fleet.proxies.ProxyStatus;
import com.proxyvault.fleet.renewals.ProxyRenewals;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Arrays;

/**
 * A paid order gets a proxy: a modem with a free slot on a live agent, a free port on that agent, fresh
 * credentials. The proxy is stored as {@code provisioning} and {@code proxy.provisioning} announced (the order
 * shows it); the proxies table's trigger wakes {@link ProvisioningJob} on commit, which asks the agent to
 * open it. No modem or port free → {@code proxy.provision_failed} at once (order-service fails the order and
 * has it refunded). A renewal order extends the proxy it names instead ({@link ProxyRenewals#renew}).
 *
 * <p>A new proxy is placed by one call of the {@code place_paid_order} function
 * ({@code R__fleet_place_paid_order.sql}) on the Vert.x Pool: the inbox row, the placement (the same rules as
 * {@link ModemAllocator#place}), the proxy row and its outbox row (either event) in one statement, one round
 * trip where the Hibernate transaction took about eleven (bench/pay, issue 7 item 7). The renewal path, rare,
 * keeps the template's Hibernate transaction with its inbox row.
 *
 * <p>When this replica holds the stream of the agent the proxy landed on, the same statement claims the row for
 * dispatch (its {@code command_sent_at}, as {@link ProvisioningJob}'s claim would) and this listener sends
 * {@code ProvisionProxy} once it committed, from the row it returned: one transaction per purchase fewer, and no
 * dispatch woken on any replica to find the row taken (docs/fleet.md "Cost per purchase"). A row not claimed here
 * (the stream is elsewhere, or nowhere) wakes the dispatchers as before.
 */
@ApplicationScoped
public class OrderPaidListener {

    private static final Logger LOG = Logger.getLogger(OrderPaidListener.class);
    static final String HANDLER = "provision-proxy";
    private static final String PLACE = """
            select outcome, proxy_id, modem_id, port, reason, agent_id, location_id, ip, updated_at, claimed
            from place_paid_order($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)""";

    private final ObjectMapper mapper;
    private final Clock clock;
    private final Pool pool;
    private final Mutiny.SessionFactory sessionFactory;
    private final EventConsumer<OrderPaid> consumer;

    private final ProxyRenewals renewals;
    private final FleetReplicas replicas;
    private final ProvisioningJob dispatch;
    private final FleetStart start;
    private final ModemAllocator allocator;

    public OrderPaidListener(EventConsumers consumers, ObjectMapper mapper, Clock clock, Pool pool,
                             Mutiny.SessionFactory sessionFactory, ProxyRenewals renewals, FleetReplicas replicas,
                             ProvisioningJob dispatch, FleetStart start, ModemAllocator allocator) {
        this.start = start;
        this.allocator = allocator;
        this.renewals = renewals;
        this.replicas = replicas;
        this.dispatch = dispatch;
        this.mapper = mapper;
        this.clock = clock;
        this.pool = pool;
        this.sessionFactory = sessionFactory;
        this.consumer = consumers.idempotentConsumer(HANDLER, EventTypes.ORDER_PAID, OrderPaid.class,
                (event, json) -> event.data().renewal() ? renew(event) : place(event)).onParked(this::refundParked);
    }

    /**
     * An order.paid that failed every retry and was parked: rather than leave the reseller charged for an order
     * nothing carries out until an operator acts, the order gets {@code proxy.provision_failed} (order-service fails
     * it and has it refunded, as for "No free modem"), and the event is recorded as processed in the same
     * transaction, so an operator's replay of the parked message finds it done and cannot place a proxy for a
     * refunded order. New-user review: a renewal the fleet could not apply left 246 orders charged and stuck
     * {@code paid}. docs/events.md "Delivery guarantees".
     */
    private Uni<Void> refundParked(EventEnvelope<OrderPaid> event, String failure) {
        long orderId = event.data().orderId();
        return sessionFactory.withTransaction(session -> Inbox.firstDelivery(session, event.id(), HANDLER)
                .chain(first -> {
                    if (!first) {
                        return Uni.createFrom().voidItem(); // applied after all (a replica's late commit): nothing to undo
                    }
                    LOG.errorf("Order %d: its order.paid was parked (%s); failing and refunding it", orderId, failure);
                    return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED,
                            event.resellerId(), new ProxyProvisionFailed(orderId,
                                    "The order could not be carried out and is refunded (held for an operator)"), clock));
                }));
    }

    @Incoming("order-paid")
    public Uni<Void> onOrderPaid(String json) {
        return consumer.consume(json);
    }

    /** No new proxy: the same one, for longer; the template's transaction (inbox row + renewal). */
    private Uni<Void> renew(EventEnvelope<OrderPaid> event) {
        return sessionFactory.withTransaction(session -> Inbox.firstDelivery(session, event.id(), HANDLER)
                .chain(first -> first ? renewals.renew(session, event.resellerId(), event.data())
                        : Uni.createFrom().voidItem()));
    }

    /**
     * {@code place_paid_order} with both possible outbox rows prepared; the function fills in the proxy's
     * id and location (proxy.provisioning) or the reason (proxy.provision_failed) and writes the one that
     * applies. A proxy it claimed for dispatch (this replica holds its agent's stream) is sent to the agent now.
     */
    private Uni<Void> place(EventEnvelope<OrderPaid> event) {
        Proxy proxy = newProxy(event);
        return placement(event, proxy).invoke(row -> {
            log(event.data(), row);
            if ("placed".equals(row.getString("outcome")) && Boolean.TRUE.equals(row.getBoolean("claimed"))) {
                dispatch.send(placed(proxy, row));
            }
        }).replaceWithVoid();
    }

    /**
     * One call of {@code place_paid_order} for a purchase's {@code order.paid}: its row (outcome {@code placed}
     * with proxy_id, modem_id, port, agent_id, location_id, ip, updated_at and claimed; {@code failed} with the
     * reason; {@code duplicate}; {@code exists}).
     */
    Uni<Row> placement(EventEnvelope<OrderPaid> event) {
        return placement(event, newProxy(event));
    }

    /** The proxy a purchase gets, as far as it is known before the placement: what the function inserts. */
    private Proxy newProxy(EventEnvelope<OrderPaid> event) {
        OrderPaid order = event.data();
        LocalDateTime now = ClockProducer.utcNow(clock);
        Proxy proxy = new Proxy();
        proxy.resellerId = event.resellerId();
        proxy.orderId = order.orderId();
        proxy.name = Credentials.proxyName(now.toLocalDate());
        proxy.username = Credentials.username();
        proxy.password = Credentials.password();
        proxy.status = ProxyStatus.PROVISIONING;
        proxy.fingerprint = "none";
        proxy.periodType = order.periodType();
        proxy.periodDuration = order.periodDuration();
        proxy.createdAt = now;
        proxy.traceparent = TraceParents.current(); // the order.paid message's trace: the purchase's
        return proxy;
    }

    private Uni<Row> placement(EventEnvelope<OrderPaid> event, Proxy proxy) {
        OrderPaid order = event.data();
        LocalDateTime now = proxy.createdAt;
        // placeholders the function replaces in the JSON text: "proxy_id":0, "location_id":null (the modem's), "reason":null
        Outbox.Row provisioning = Outbox.row(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONING, event.resellerId(),
                new ProxyProvisioning(0, order.orderId(), null), clock));
        Outbox.Row failed = Outbox.row(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, event.resellerId(),
                new ProxyProvisionFailed(order.orderId(), null), clock));
        Tuple args = Tuple.tuple(Arrays.asList(event.id(), HANDLER, event.resellerId(), order.orderId(), order.locationId(),
                allocator.liveSince(now), now, proxy.name, proxy.username, proxy.password,
                proxy.periodType, proxy.periodDuration, proxy.traceparent,
                provisioning.key(), provisioning.id(), provisioning.topic(), provisioning.payload(),
                failed.id(), failed.topic(), failed.payload(), replicas.id()));
        if (!start.settling(now)) {
            return pool.preparedQuery(PLACE).execute(args).map(rows -> rows.iterator().next());
        }
        // Just started: "no modem" may only mean "no agent has dialled back in yet". The placement runs in a
        // transaction that a failure rolls back (its inbox row and provision_failed with it), and is tried again a
        // second later, until it places or the grace is over (FleetStart; new-user review 5, finding 1).
        return pool.withTransaction(connection -> connection.preparedQuery(PLACE).execute(args).map(rows -> {
                    Row row = rows.iterator().next();
                    if ("failed".equals(row.getString("outcome"))) {
                        throw new AgentsReconnecting();
                    }
                    return row;
                }))
                .onFailure(AgentsReconnecting.class).recoverWithUni(() -> {
                    LOG.debugf("Order %d: no modem yet while agents reconnect; trying again in 1 s", order.orderId());
                    proxy.createdAt = ClockProducer.utcNow(clock);
                    return Uni.createFrom().voidItem().onItem().delayIt().by(Duration.ofSeconds(1))
                            .chain(() -> placement(event, proxy));
                });
    }

    /** A placement found no modem while agents may still be reconnecting after this replica's start: rolled back. */
    private static final class AgentsReconnecting extends RuntimeException {
        AgentsReconnecting() {
            super("no modem yet while agents reconnect", null, false, false);
        }
    }

    /** The proxy as {@code place_paid_order} stored it, from what was sent and what its row returned. */
    private static Proxy placed(Proxy proxy, Row row) {
        proxy.id = row.getLong("proxy_id");
        proxy.modemId = row.getString("modem_id");
        proxy.agentId = row.getString("agent_id");
        proxy.locationId = row.getString("location_id");
        proxy.ip = row.getString("ip");
        proxy.port = row.getInteger("port");
        proxy.updatedAt = row.getLocalDateTime("updated_at"); // as stored (microseconds): the activation compares it
        return proxy;
    }

    private static void log(OrderPaid order, Row row) {
        switch (row.getString("outcome")) {
            case "placed" -> LOG.debugf("Order %d: proxy %d on %s port %d", order.orderId(), row.getLong("proxy_id"),
                    row.getString("modem_id"), row.getInteger("port"));
            case "failed" -> LOG.warnf("Order %d cannot be provisioned: %s", order.orderId(), row.getString("reason"));
            default -> LOG.debugf("Order %d: order.paid %s, nothing to do", order.orderId(), row.getString("outcome"));
        }
    }
}
