package com.proxyvault.fleet.provisioning;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.ProxyExpired;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.contracts.events.ProxyProvisioned;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.platform.time.ClockProducer;
import com.proxyvault.fleet.proxies.Proxy;
import com.proxyvault.fleet.proxies.ProxyStatus;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.LockMode;
import org.hibernate.reactive.mutiny.Mutiny;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.List;

/**
 * Every change of a proxy's status, each in one transaction with the event that announces it. The row is
 * locked and its current status checked first, so a late agent answer, a timeout and a second replica
 * can race and still produce exactly one outcome and one event.
 */
@ApplicationScoped
public class ProxyTransitions {

    private final Mutiny.SessionFactory sessionFactory;
    private final ObjectMapper mapper;
    private final Clock clock;

    public ProxyTransitions(Mutiny.SessionFactory sessionFactory, ObjectMapper mapper, Clock clock) {
        this.sessionFactory = sessionFactory;
        this.mapper = mapper;
        this.clock = clock;
    }

    LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }

    /** The agent confirmed the listener: the paid period starts now. */
    public Uni<Boolean> activate(long proxyId) {
        return sessionFactory.withTransaction(session -> session.find(Proxy.class, proxyId, LockMode.PESSIMISTIC_WRITE)
                .chain(proxy -> {
                    if (proxy == null || !ProxyStatus.PROVISIONING.equals(proxy.status)) {
                        return Uni.createFrom().item(false);
                    }
                    LocalDateTime now = now();
                    proxy.status = ProxyStatus.ACTIVE;
                    proxy.activatedAt = now;
                    proxy.expiresAt = Periods.end(now, proxy.periodType, proxy.periodDuration);
                    proxy.updatedAt = now;
                    return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONED, proxy.resellerId,
                                    new ProxyProvisioned(proxy.id, proxy.orderId, proxy.name, proxy.ip, proxy.port,
                                            proxy.username, proxy.password, proxy.locationId, proxy.status, proxy.expiresAt), clock),
                                    proxy.traceparent)
                            .replaceWith(true);
                }));
    }

    /** The agent refused or never answered: the order fails and is refunded. */
    public Uni<Boolean> fail(long proxyId, String reason) {
        return sessionFactory.withTransaction(session -> session.find(Proxy.class, proxyId, LockMode.PESSIMISTIC_WRITE)
                .chain(proxy -> proxy == null ? Uni.createFrom().item(false) : fail(session, proxy, reason)));
    }

    Uni<Boolean> fail(Mutiny.Session session, Proxy proxy, String reason) {
        if (!ProxyStatus.PROVISIONING.equals(proxy.status)) {
            return Uni.createFrom().item(false);
        }
        proxy.status = ProxyStatus.FAILED;
        proxy.failureReason = reason;
        proxy.updatedAt = now();
        return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, proxy.resellerId,
                        new ProxyProvisionFailed(proxy.orderId, reason), clock), proxy.traceparent)
                .replaceWith(true);
    }

    /** Expires every active proxy whose period is over; returns them so their agents can close the ports. */
    public Uni<List<Proxy>> expireDue(int batchSize) {
        LocalDateTime now = now();
        return sessionFactory.withTransaction(session -> session.createNativeQuery("""
                                select * from proxies where status in (:running) and expires_at <= :now
                                order by expires_at limit :limit for update skip locked""", Proxy.class)
                .setParameter("running", ProxyStatus.RUNNING)
                .setParameter("now", now)
                .setParameter("limit", batchSize)
                .getResultList()
                .call(proxies -> Multi.createFrom().iterable(proxies)
                        .onItem().transformToUniAndConcatenate(proxy -> {
                            proxy.status = ProxyStatus.EXPIRED;
                            proxy.updatedAt = now;
                            return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_EXPIRED,
                                    proxy.resellerId, new ProxyExpired(proxy.id, proxy.orderId, proxy.expiresAt), clock));
                        })
                        .collect().last()));
    }
}
