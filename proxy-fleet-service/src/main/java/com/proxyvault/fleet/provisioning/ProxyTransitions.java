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
import com.proxyvault.fleet.renewals.ProxyRenewals;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.LockMode;
import org.hibernate.reactive.mutiny.Mutiny;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;

/**
 * Every change of a proxy's status, each in one transaction with the event that announces it. The row is
 * locked and its current status checked first, so a late agent answer, a timeout and a second replica
 * can race and still produce exactly one outcome and one event.
 */
@ApplicationScoped
public class ProxyTransitions {

    /** What {@link ProvisioningJob}'s claim returns of each proxy: the command's fields and the activation's. */
    static final String CLAIMED_COLUMNS = """
            p.id, p.reseller_id, p.order_id, p.name, p.modem_id, p.agent_id, p.location_id, p.ip, p.port, p.username,
            p.password, p.status, p.fingerprint, p.period_type, p.period_duration, p.updated_at, p.traceparent""";

    /**
     * Activation from the claimed row, in one autocommit statement: the proxy goes active ($2 activated_at and
     * updated_at, $3 expires_at) only if it is still in provisioning ($10) and unchanged since the claim read it
     * ($4 = its updated_at then), and proxy.provisioned ($5-$9), built from that row, goes to the outbox only if
     * it did. Changed or no longer provisioning: nothing is written and {@link #activate(Proxy)} falls back to
     * {@link #activate(long)}, which reads the row under its lock. $12, $13: the new expiry's checkpoint marks
     * ({@link ProxyRenewals#marksOfNewExpiry}).
     */
    private static final String ACTIVATE_CLAIMED = """
            with activated as (
                update proxies set status = $11, activated_at = $2, expires_at = $3, updated_at = $2,
                                   notice_expiry = $12, next_checkpoint_at = $13
                where id = $1 and status = $10 and updated_at = $4
                returning id)
            insert into outbox_events (id, topic, message_key, payload, traceparent)
            select $5::uuid, $6::text, $7::text, $8::text, $9::text from activated""";

    private final Mutiny.SessionFactory sessionFactory;
    private final Pool pool;
    private final ObjectMapper mapper;
    private final Clock clock;
    private final ProxyRenewals renewals;

    public ProxyTransitions(Mutiny.SessionFactory sessionFactory, Pool pool, ObjectMapper mapper, Clock clock,
                            ProxyRenewals renewals) {
        this.sessionFactory = sessionFactory;
        this.renewals = renewals;
        this.pool = pool;
        this.mapper = mapper;
        this.clock = clock;
    }

    LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }

    /** A row of {@link #CLAIMED_COLUMNS} as a detached {@link Proxy} (not managed by any session). */
    static Proxy claimed(Row row) {
        Proxy proxy = new Proxy();
        proxy.id = row.getLong("id");
        proxy.resellerId = row.getLong("reseller_id");
        proxy.orderId = row.getLong("order_id");
        proxy.name = row.getString("name");
        proxy.modemId = row.getString("modem_id");
        proxy.agentId = row.getString("agent_id");
        proxy.locationId = row.getString("location_id");
        proxy.ip = row.getString("ip");
        proxy.port = row.getInteger("port");
        proxy.username = row.getString("username");
        proxy.password = row.getString("password");
        proxy.status = row.getString("status");
        proxy.fingerprint = row.getString("fingerprint");
        proxy.periodType = row.getString("period_type");
        proxy.periodDuration = row.getInteger("period_duration");
        proxy.updatedAt = row.getLocalDateTime("updated_at");
        proxy.traceparent = row.getString("traceparent");
        return proxy;
    }

    /**
     * The agent confirmed the listener of a proxy {@link ProvisioningJob} claimed: the paid period starts now.
     * One round trip ({@link #ACTIVATE_CLAIMED}) where {@link #activate(long)}'s transaction takes five; the
     * same outcome and the same event. True when this call activated it.
     */
    public Uni<Boolean> activate(Proxy claimed) {
        LocalDateTime now = now();
        LocalDateTime expiresAt = Periods.end(now, claimed.periodType, claimed.periodDuration);
        Outbox.Row event = Outbox.row(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONED, claimed.resellerId,
                new ProxyProvisioned(claimed.id, claimed.orderId, claimed.name, claimed.ip, claimed.port, claimed.username,
                        claimed.password, claimed.locationId, ProxyStatus.ACTIVE, expiresAt), clock), claimed.traceparent);
        var marks = renewals.marksOfNewExpiry(expiresAt, claimed.periodType, claimed.periodDuration, now);
        Tuple args = Tuple.tuple(Arrays.asList(claimed.id, now, expiresAt, claimed.updatedAt, event.id(), event.topic(),
                event.key(), event.payload(), event.traceparent(), ProxyStatus.PROVISIONING, ProxyStatus.ACTIVE,
                marks.noticeExpiry(), marks.nextCheckpointAt()));
        return pool.preparedQuery(ACTIVATE_CLAIMED).execute(args)
                .chain(rows -> rows.rowCount() == 1 ? Uni.createFrom().item(true) : activate(claimed.id));
    }

    /** The agent confirmed the listener: the paid period starts now (the row read under its lock). */
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
                    var marks = renewals.marksOfNewExpiry(proxy.expiresAt, proxy.periodType, proxy.periodDuration, now);
                    proxy.noticeExpiry = marks.noticeExpiry();
                    proxy.nextCheckpointAt = marks.nextCheckpointAt();
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

    /**
     * Expires every active proxy whose period is over; returns them so their agents can close the ports. The batch is
     * the {@code batchSize} soonest due, loaded in modem order, the order Hibernate flushes their updates in (one
     * statement each, {@code hibernate.order_updates} off): each update of an active one changes its modem's
     * live-proxy count (fleet migration V16), which locks the modem's row, and transactions that lock modems in one
     * order never deadlock on them (two replicas' expiry batches, an offline sweep; docs/fleet.md "Placement cost").
     */
    public Uni<List<Proxy>> expireDue(int batchSize) {
        LocalDateTime now = now();
        return sessionFactory.withTransaction(session -> session.createNativeQuery("""
                                select * from (select %s from proxies where status in (:running) and expires_at <= :now
                                               order by expires_at limit :limit for update skip locked) due
                                order by due.modem_id""".formatted(Proxy.COLUMNS), Proxy.class)
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
