package com.proxyvault.fleet.renewals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderCancelled;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.contracts.events.ProxyExpiring;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.contracts.events.ProxyRenewalDue;
import com.proxyvault.contracts.events.ProxyRenewed;
import com.proxyvault.fleet.provisioning.Periods;
import com.proxyvault.fleet.proxies.Proxy;
import com.proxyvault.fleet.proxies.ProxyStatus;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.outbox.Outbox;
import com.proxyvault.platform.time.ClockProducer;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.hibernate.LockMode;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;

/**
 * The fleet's side of renewals (docs/money.md, "Renewals"): it owns expires_at and auto_renew, carries out
 * paid renewal orders, and walks each running proxy through its expiry checkpoints ({@link ExpiryCheckpoints}):
 * at each, an auto-renewing proxy gets {@code proxy.renewal_due} (order-service creates and charges a renewal
 * order) and any other proxy {@code proxy.expiring}. All times come from the injected {@link Clock}.
 */
@ApplicationScoped
public class ProxyRenewals {

    private static final Logger LOG = Logger.getLogger(ProxyRenewals.class);

    private final Mutiny.SessionFactory sessionFactory;
    private final ObjectMapper mapper;
    private final Clock clock;
    private final ExpiryCheckpoints checkpoints;
    private final int batchSize;

    public ProxyRenewals(Mutiny.SessionFactory sessionFactory, ObjectMapper mapper, Clock clock, RenewalConfig config) {
        this.sessionFactory = sessionFactory;
        this.mapper = mapper;
        this.clock = clock;
        this.checkpoints = new ExpiryCheckpoints(config.checkpoints());
        this.batchSize = config.batchSize();
    }

    private LocalDateTime now() {
        return ClockProducer.utcNow(clock);
    }

    /**
     * In the {@code order.paid} consumer's transaction, for a renewal order ({@code renews_proxy_id} set):
     * moves the proxy's expires_at forward by the order's period from its current expiry (the renewal
     * continues the paid time, wherever it is bought) and announces {@code proxy.renewed}. A proxy that is
     * not the reseller's, or has ended (expired, failed, or due to expire now) cannot be renewed, nor one whose new
     * expiry would pass {@link Periods#LATEST_END}: the order gets {@code proxy.provision_failed}, so order-service
     * fails it and billing refunds it. Once per order
     * ({@code proxy_renewals}), whatever Kafka redelivers.
     */
    public Uni<Void> renew(Mutiny.Session session, long resellerId, OrderPaid order) {
        long proxyId = order.renewsProxyId();
        return session.createNativeQuery("select count(*) from proxy_renewals where order_id = :order", Long.class)
                .setParameter("order", order.orderId())
                .getSingleResult()
                .chain(done -> done > 0 ? Uni.createFrom().voidItem()
                        : session.find(Proxy.class, proxyId, LockMode.PESSIMISTIC_WRITE).chain(proxy -> {
                            LocalDateTime now = now();
                            if (proxy == null || proxy.resellerId != resellerId || !ProxyStatus.RUNNING.contains(proxy.status)
                                    || proxy.expiresAt == null || !proxy.expiresAt.isAfter(now)) {
                                String reason = "Proxy " + proxyId + " has ended"
                                        + (proxy == null || proxy.resellerId != resellerId ? "" : " (" + proxy.status + ")")
                                        + ": a renewal cannot extend it, the order is refunded";
                                LOG.warnf("Renewal order %d: %s", order.orderId(), reason);
                                return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED,
                                        resellerId, new ProxyProvisionFailed(order.orderId(), reason), clock));
                            }
                            LocalDateTime previous = proxy.expiresAt;
                            LocalDateTime extended = Periods.end(previous, order.periodType(), order.periodDuration());
                            if (extended.isAfter(Periods.LATEST_END)) {
                                String reason = "Proxy " + proxyId + " is paid until " + previous + ": a renewal cannot extend it"
                                        + " past " + Periods.LATEST_END + ", the order is refunded";
                                LOG.warnf("Renewal order %d: %s", order.orderId(), reason);
                                return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED,
                                        resellerId, new ProxyProvisionFailed(order.orderId(), reason), clock));
                            }
                            proxy.expiresAt = extended;
                            proxy.noticeExpiry = null; // a new expiry: its checkpoints start over
                            proxy.nextCheckpointAt = null;
                            proxy.updatedAt = now;
                            LOG.infof("Proxy %d renewed by order %d: expires %s (was %s)", proxyId, order.orderId(), extended, previous);
                            return session.createNativeQuery("""
                                            insert into proxy_renewals (order_id, proxy_id, reseller_id, previous_expires_at,
                                                                        expires_at, renewed_at)
                                            values (:order, :proxy, :reseller, :previous, :extended, :now)""")
                                    .setParameter("order", order.orderId())
                                    .setParameter("proxy", proxyId)
                                    .setParameter("reseller", resellerId)
                                    .setParameter("previous", previous)
                                    .setParameter("extended", extended)
                                    .setParameter("now", now)
                                    .executeUpdate()
                                    .chain(() -> Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_RENEWED,
                                            resellerId, new ProxyRenewed(proxyId, order.orderId(), previous, extended), clock)));
                        }));
    }

    /**
     * {@code PATCH /proxies/{id} {"auto_renew": true|false}}: the reseller's current proxy (404 otherwise;
     * 409 when it has ended). A change makes the checkpoint sweep look at the proxy again, so switching
     * auto-renew on inside the last checkpoint renews it at once, and switching it off there announces
     * {@code proxy.expiring}.
     */
    public Uni<Proxy> setAutoRenew(long resellerId, long proxyId, boolean autoRenew) {
        return sessionFactory.withTransaction(session -> session.find(Proxy.class, proxyId, LockMode.PESSIMISTIC_WRITE)
                .chain(proxy -> {
                    if (proxy == null || proxy.resellerId != resellerId) {
                        return Uni.createFrom().failure(ApiException.notFound("Proxy not found"));
                    }
                    if (!ProxyStatus.CURRENT.contains(proxy.status)) {
                        return Uni.createFrom().failure(ApiException.conflict("The proxy has " + proxy.status
                                + ": it can no longer be renewed"));
                    }
                    if (proxy.autoRenew != autoRenew) {
                        proxy.autoRenew = autoRenew;
                        proxy.noticeExpiry = null;
                        proxy.nextCheckpointAt = null;
                        proxy.updatedAt = now();
                    }
                    return Uni.createFrom().item(proxy);
                }));
    }

    /**
     * One sweep transaction: up to {@code batch-size} running proxies whose checkpoint is due, or whose expiry
     * has not been looked at since it changed (and falls within the longest checkpoint), claimed with
     * {@code for update skip locked} so replicas share the work and act once. For each, the latest passed
     * checkpoint is acted on (renewal_due or expiring) and the next one scheduled. Returns how many proxies
     * were looked at.
     */
    public Uni<Integer> sweep() {
        LocalDateTime now = now();
        // Two branches, each matching one partial index (fleet migration V14: proxies_unnoticed_expiry,
        // proxies_next_checkpoint), with the running statuses (ProxyStatus.RUNNING) spelled out so the planner can
        // use them in a generic plan too; an OR of both read every running proxy within the horizon, every second.
        return sessionFactory.withTransaction(session -> session.createNativeQuery("""
                        select %s from proxies
                        where id in (select u.id from proxies u
                                     where u.status in ('active', 'disconnected', 'offline')
                                       and u.notice_expiry is distinct from u.expires_at
                                       and u.expires_at > :now and u.expires_at <= :horizon
                                     union all
                                     select c.id from proxies c
                                     where c.status in ('active', 'disconnected', 'offline')
                                       and c.next_checkpoint_at is not null and c.next_checkpoint_at <= :now
                                       and c.expires_at > :now)
                          and status in (:running) and expires_at > :now
                        order by expires_at limit :limit for update skip locked""".formatted(Proxy.COLUMNS), Proxy.class)
                .setParameter("running", ProxyStatus.RUNNING)
                .setParameter("now", now)
                .setParameter("horizon", now.plus(checkpoints.longest()))
                .setParameter("limit", batchSize)
                .getResultList()
                .chain(proxies -> proxies.isEmpty() ? Uni.createFrom().item(0)
                        : Multi.createFrom().iterable(proxies)
                                .onItem().transformToUniAndConcatenate(proxy -> checkpoint(session, proxy, now))
                                .collect().last()
                                .replaceWith(proxies.size())));
    }

    /**
     * The checkpoint marks of a proxy whose expiry is new ({@code proxies.notice_expiry}, {@code next_checkpoint_at}).
     * {@code noticeExpiry} is the expiry they were computed for; {@code nextCheckpointAt} null when no checkpoint is
     * left before it. {@link #NONE} (both null) leaves the proxy to the sweep.
     */
    public record CheckpointMarks(LocalDateTime noticeExpiry, LocalDateTime nextCheckpointAt) {

        /** No marks: the sweep computes them on its next run (and announces a checkpoint already passed). */
        public static final CheckpointMarks NONE = new CheckpointMarks(null, null);
    }

    /**
     * The marks {@link #sweep()} would write for a proxy that gets the expiry {@code expiresAt} at {@code now}, so the
     * writer of that expiry can write them in its own statement (activation: one statement per purchase fewer, where
     * the sweep's next run updated every new proxy's row, docs/fleet.md "Cost per purchase"); {@link CheckpointMarks#NONE}
     * when a checkpoint has already passed, which only the sweep acts on (it announces it). A checkpoint is shorter than
     * the period, so a period that starts now has none passed.
     */
    public CheckpointMarks marksOfNewExpiry(LocalDateTime expiresAt, String periodType, int periodDuration, LocalDateTime now) {
        Duration period = period(expiresAt, periodType, periodDuration);
        if (checkpoints.passed(period, expiresAt, now).isPresent()) {
            return CheckpointMarks.NONE;
        }
        return new CheckpointMarks(expiresAt, checkpoints.next(period, expiresAt, now).orElse(null));
    }

    /** The length of the period that would follow {@code expiresAt} (the checkpoints are chosen by it). */
    private static Duration period(LocalDateTime expiresAt, String periodType, int periodDuration) {
        return Duration.between(expiresAt, Periods.end(expiresAt, periodType, periodDuration));
    }

    private Uni<Void> checkpoint(Mutiny.Session session, Proxy proxy, LocalDateTime now) {
        Duration period = period(proxy.expiresAt, proxy.periodType, proxy.periodDuration);
        boolean fresh = !proxy.expiresAt.equals(proxy.noticeExpiry);
        boolean due = fresh || (proxy.nextCheckpointAt != null && !proxy.nextCheckpointAt.isAfter(now));
        proxy.noticeExpiry = proxy.expiresAt;
        proxy.nextCheckpointAt = checkpoints.next(period, proxy.expiresAt, now).orElse(null);
        var passed = due ? checkpoints.passed(period, proxy.expiresAt, now) : java.util.Optional.<Duration>empty();
        if (passed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        if (proxy.autoRenew) {
            LOG.infof("Proxy %d reaches its %s checkpoint before %s: auto-renewal requested", proxy.id, passed.get(), proxy.expiresAt);
            return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_RENEWAL_DUE, proxy.resellerId,
                    new ProxyRenewalDue(proxy.id, proxy.orderId, proxy.expiresAt, passed.get().toString()), clock));
        }
        return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_EXPIRING, proxy.resellerId,
                new ProxyExpiring(proxy.id, proxy.orderId, proxy.expiresAt, false, ProxyExpiring.AUTO_RENEW_OFF), clock));
    }

    /**
     * In the {@code order.cancelled} consumer's transaction: a renewal order of a running proxy that billing
     * refused for the balance means the proxy will expire unless the reseller acts: {@code proxy.expiring}
     * with {@code auto_renew: true} and reason {@code insufficient_balance}. The next checkpoint (if any) tries
     * again. Other cancellations change nothing.
     */
    public Uni<Void> renewalRefused(Mutiny.Session session, long resellerId, OrderCancelled cancelled) {
        if (cancelled.proxyId() == null || !OrderCancelled.INSUFFICIENT_BALANCE.equals(cancelled.reason())) {
            return Uni.createFrom().voidItem();
        }
        return session.find(Proxy.class, cancelled.proxyId()).chain(proxy -> {
            if (proxy == null || proxy.resellerId != resellerId || !ProxyStatus.RUNNING.contains(proxy.status)
                    || proxy.expiresAt == null || !proxy.expiresAt.isAfter(now())) {
                return Uni.createFrom().voidItem();
            }
            LOG.infof("Auto-renewal of proxy %d refused for the balance (order %d): it expires %s", proxy.id,
                    cancelled.orderId(), proxy.expiresAt);
            return Outbox.append(session, mapper, EventEnvelope.of(EventTypes.PROXY_EXPIRING, resellerId,
                    new ProxyExpiring(proxy.id, proxy.orderId, proxy.expiresAt, proxy.autoRenew, ProxyExpiring.INSUFFICIENT_BALANCE), clock));
        });
    }
}
