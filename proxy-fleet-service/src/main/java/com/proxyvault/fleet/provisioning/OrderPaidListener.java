package com.proxyvault.fleet.provisioning;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.contracts.outbox.EventHandlers;
import com.proxyvault.contracts.outbox.Outbox;
import com.proxyvault.fleet.proxies.Proxy;
import com.proxyvault.fleet.proxies.ProxyStatus;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * A paid order gets a proxy: a modem with a free slot on a live agent, a free port on that agent, fresh
 * credentials. The proxy is stored as {@code provisioning}; {@link ProvisioningJob} then asks the agent to
 * open it. No modem or port free → {@code proxy.provision_failed} at once (billing refunds).
 */
@ApplicationScoped
public class OrderPaidListener {

    private static final Logger LOG = Logger.getLogger(OrderPaidListener.class);
    /** An agent that hasn't been heard from for this long gets no new proxies. */
    private static final long LIVE_AGENT_SECONDS = 45;

    private final Mutiny.SessionFactory sessionFactory;
    private final ObjectMapper mapper;

    public OrderPaidListener(Mutiny.SessionFactory sessionFactory, ObjectMapper mapper) {
        this.sessionFactory = sessionFactory;
        this.mapper = mapper;
    }

    @Incoming("order-paid")
    public Uni<Void> onOrderPaid(String json) {
        return EventHandlers.applyOnce(sessionFactory, mapper, json, OrderPaid.class, "provision-proxy", this::allocate);
    }

    private Uni<Void> allocate(Mutiny.Session session, EventEnvelope<OrderPaid> event) {
        OrderPaid order = event.data();
        LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
        return session.createNativeQuery("select count(*) from proxies where order_id = :order", Long.class)
                .setParameter("order", order.orderId())
                .getSingleResult()
                .chain(existing -> existing > 0
                        ? Uni.createFrom().voidItem() // already has its proxy (an event re-sent with a new id)
                        : pickModem(session, now).chain(modem -> modem == null
                                ? fail(session, event, "No free modem available")
                                : pickPort(session, modem).chain(port -> port == null
                                        ? fail(session, event, "No free port on the modem's agent")
                                        : createProxy(session, event, modem, port, now))));
    }

    private record FreeModem(String id, String agentId, String locationId, String publicHost, int portStart, int portEnd) {
    }

    /** The least-loaded online modem of a live agent with a free slot; locked so two orders can't take its last slot. */
    private Uni<FreeModem> pickModem(Mutiny.Session session, LocalDateTime now) {
        return session.createNativeQuery("""
                        select m.id, m.agent_id, m.location_id, a.public_host, a.port_range_start, a.port_range_end
                        from modems m join agents a on a.id = m.agent_id
                        where a.connected and a.last_seen_at > :liveSince and m.online
                          and m.capacity > (select count(*) from proxies p where p.modem_id = m.id and p.status in (:live))
                        order by (select count(*) from proxies p where p.modem_id = m.id and p.status in (:live)), m.id
                        limit 1
                        for update of m skip locked""", Object[].class)
                .setParameter("liveSince", now.minusSeconds(LIVE_AGENT_SECONDS))
                .setParameter("live", ProxyStatus.LIVE)
                .getResultList()
                .map(rows -> rows.isEmpty() ? null : toModem(rows.get(0)));
    }

    private static FreeModem toModem(Object[] row) {
        return new FreeModem((String) row[0], (String) row[1], (String) row[2], (String) row[3],
                ((Number) row[4]).intValue(), ((Number) row[5]).intValue());
    }

    /** The lowest free port of the agent; the agent row lock serializes allocations on one agent. */
    private Uni<Integer> pickPort(Mutiny.Session session, FreeModem modem) {
        return session.createNativeQuery("select id from agents where id = :agent for update", String.class)
                .setParameter("agent", modem.agentId())
                .getSingleResult()
                .chain(() -> session.createNativeQuery("""
                                select min(s.port) from generate_series(cast(:start as integer), cast(:end as integer)) as s(port)
                                where not exists (select 1 from proxies p
                                                  where p.agent_id = :agent and p.port = s.port and p.status in (:live))""", Integer.class)
                        .setParameter("start", modem.portStart())
                        .setParameter("end", modem.portEnd())
                        .setParameter("agent", modem.agentId())
                        .setParameter("live", ProxyStatus.LIVE)
                        .getSingleResultOrNull());
    }

    private Uni<Void> createProxy(Mutiny.Session session, EventEnvelope<OrderPaid> event, FreeModem modem, int port, LocalDateTime now) {
        OrderPaid order = event.data();
        Proxy proxy = new Proxy();
        proxy.resellerId = event.resellerId();
        proxy.orderId = order.orderId();
        proxy.name = Credentials.proxyName(now.toLocalDate());
        proxy.modemId = modem.id();
        proxy.agentId = modem.agentId();
        proxy.locationId = modem.locationId();
        proxy.ip = modem.publicHost();
        proxy.port = port;
        proxy.username = Credentials.username();
        proxy.password = Credentials.password();
        proxy.status = ProxyStatus.PROVISIONING;
        proxy.periodType = order.periodType();
        proxy.periodDuration = order.periodDuration();
        proxy.createdAt = now;
        proxy.updatedAt = now;
        return session.persist(proxy).call(session::flush)
                .invoke(() -> LOG.infof("Order %d: proxy %d on %s port %d", order.orderId(), proxy.id, modem.id(), port));
    }

    private Uni<Void> fail(Mutiny.Session session, EventEnvelope<OrderPaid> event, String reason) {
        LOG.warnf("Order %d cannot be provisioned: %s", event.data().orderId(), reason);
        return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, event.resellerId(),
                new ProxyProvisionFailed(event.data().orderId(), reason)));
    }
}
