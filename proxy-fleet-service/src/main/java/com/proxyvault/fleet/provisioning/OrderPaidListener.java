package com.proxyvault.fleet.provisioning;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.contracts.events.ProxyProvisioning;
import com.proxyvault.platform.events.EventConsumer;
import com.proxyvault.platform.events.EventConsumers;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.platform.tracing.TraceParents;
import com.proxyvault.fleet.proxies.Proxy;
import com.proxyvault.fleet.renewals.ProxyRenewals;
import com.proxyvault.fleet.proxies.ProxyStatus;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.LocalDateTime;

/**
 * A paid order gets a proxy: a modem with a free slot on a live agent, a free port on that agent, fresh
 * credentials. The proxy is stored as {@code provisioning} and {@code proxy.provisioning} announced (the order
 * shows it); the proxies table's trigger wakes {@link ProvisioningJob} on commit, which asks the agent to
 * open it. No modem or port free → {@code proxy.provision_failed} at once (billing refunds). A renewal order
 * extends the proxy it names instead ({@link ProxyRenewals#renew}).
 */
@ApplicationScoped
public class OrderPaidListener {

    private static final Logger LOG = Logger.getLogger(OrderPaidListener.class);
    private final ObjectMapper mapper;
    private final ModemAllocator allocator;
    private final Clock clock;
    private final EventConsumer<OrderPaid> consumer;

    private final ProxyRenewals renewals;

    public OrderPaidListener(EventConsumers consumers, ObjectMapper mapper, ModemAllocator allocator, Clock clock,
                             ProxyRenewals renewals) {
        this.renewals = renewals;
        this.mapper = mapper;
        this.allocator = allocator;
        this.clock = clock;
        this.consumer = consumers.consumer("provision-proxy", EventTypes.ORDER_PAID, OrderPaid.class, this::allocate);
    }

    @Incoming("order-paid")
    public Uni<Void> onOrderPaid(String json) {
        return consumer.consume(json);
    }

    private Uni<Void> allocate(Mutiny.Session session, EventEnvelope<OrderPaid> event) {
        OrderPaid order = event.data();
        if (order.renewal()) {
            return renewals.renew(session, event.resellerId(), order); // no new proxy: the same one, for longer
        }
        LocalDateTime now = ClockProducer.utcNow(clock);
        return session.createNativeQuery("select count(*) from proxies where order_id = :order", Long.class)
                .setParameter("order", order.orderId())
                .getSingleResult()
                .chain(existing -> existing > 0
                        ? Uni.createFrom().voidItem() // already has its proxy (an event re-sent with a new id)
                        : allocator.place(session, now, order.locationId(), null).chain(placement -> placement != null
                                ? createProxy(session, event, placement, now)
                                : noRoom(session, event)));
    }

    /** Why nothing was found: the whole fleet is full, or the location asked for is unknown or full. */
    private Uni<Void> noRoom(Mutiny.Session session, EventEnvelope<OrderPaid> event) {
        String location = event.data().locationId();
        if (location == null) {
            return fail(session, event, "No free modem available");
        }
        return session.createNativeQuery("select count(*) from locations where id = :id", Long.class)
                .setParameter("id", location)
                .getSingleResult()
                .chain(known -> fail(session, event, known > 0 ? "No free modem available in " + location
                        : "Unknown location " + location));
    }

    private Uni<Void> createProxy(Mutiny.Session session, EventEnvelope<OrderPaid> event, ModemAllocator.Placement placement, LocalDateTime now) {
        OrderPaid order = event.data();
        Proxy proxy = new Proxy();
        proxy.resellerId = event.resellerId();
        proxy.orderId = order.orderId();
        proxy.name = Credentials.proxyName(now.toLocalDate());
        proxy.modemId = placement.modemId();
        proxy.agentId = placement.agentId();
        proxy.locationId = placement.locationId();
        proxy.ip = placement.publicHost();
        proxy.port = placement.port();
        proxy.username = Credentials.username();
        proxy.password = Credentials.password();
        proxy.status = ProxyStatus.PROVISIONING;
        proxy.fingerprint = "none";
        proxy.periodType = order.periodType();
        proxy.periodDuration = order.periodDuration();
        proxy.createdAt = now;
        proxy.updatedAt = now;
        proxy.traceparent = TraceParents.current(); // the order.paid message's trace: the purchase's
        return session.persist(proxy).call(session::flush)
                .invoke(() -> LOG.infof("Order %d: proxy %d on %s port %d", order.orderId(), proxy.id, placement.modemId(), placement.port()))
                .chain(() -> Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONING, event.resellerId(),
                        new ProxyProvisioning(proxy.id, order.orderId(), proxy.locationId), clock)));
    }

    private Uni<Void> fail(Mutiny.Session session, EventEnvelope<OrderPaid> event, String reason) {
        LOG.warnf("Order %d cannot be provisioned: %s", event.data().orderId(), reason);
        return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, event.resellerId(),
                new ProxyProvisionFailed(event.data().orderId(), reason), clock));
    }
}
