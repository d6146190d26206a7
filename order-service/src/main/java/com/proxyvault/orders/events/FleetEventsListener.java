package com.proxyvault.orders.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.ProxyExpired;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import com.proxyvault.contracts.events.ProxyProvisioned;
import com.proxyvault.contracts.events.ProxyProvisioning;
import com.proxyvault.contracts.outbox.EventHandlers;
import com.proxyvault.orders.orders.OrderStatus;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.hibernate.reactive.mutiny.Mutiny;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Follows the fleet: an order is provisioning once the fleet found it a modem, active when its proxy is provisioned, failed when provisioning
 * failed (billing refunds it on the same event), expired when the proxy expired. Each transition only
 * applies from the states it can come from, so an out-of-order or repeated event changes nothing.
 */
@ApplicationScoped
public class FleetEventsListener {

    private static final List<String> BEING_PROVISIONED = List.of(OrderStatus.PAID, OrderStatus.PROVISIONING);

    private final Mutiny.SessionFactory sessionFactory;
    private final ObjectMapper mapper;

    public FleetEventsListener(Mutiny.SessionFactory sessionFactory, ObjectMapper mapper) {
        this.sessionFactory = sessionFactory;
        this.mapper = mapper;
    }

    @Incoming("proxy-provisioning")
    public Uni<Void> onProxyProvisioning(String json) {
        return EventHandlers.applyOnce(sessionFactory, mapper, json, ProxyProvisioning.class, "order-provisioning",
                (session, event) -> session.createNativeQuery("""
                                update orders set status = :provisioning, proxy_id = :proxy, updated_at = :now
                                where id = :order and reseller_id = :reseller and status = :paid""")
                        .setParameter("provisioning", OrderStatus.PROVISIONING)
                        .setParameter("proxy", event.data().proxyId())
                        .setParameter("now", now())
                        .setParameter("order", event.data().orderId())
                        .setParameter("reseller", event.resellerId())
                        .setParameter("paid", OrderStatus.PAID)
                        .executeUpdate());
    }

    @Incoming("proxy-provisioned")
    public Uni<Void> onProxyProvisioned(String json) {
        return EventHandlers.applyOnce(sessionFactory, mapper, json, ProxyProvisioned.class, "order-active",
                (session, event) -> session.createNativeQuery("""
                                update orders set status = :active, proxy_id = :proxy, expires_at = :expires, updated_at = :now
                                where id = :order and reseller_id = :reseller and status in (:from)""")
                        .setParameter("active", OrderStatus.ACTIVE)
                        .setParameter("proxy", event.data().proxyId())
                        .setParameter("expires", event.data().expiresAt())
                        .setParameter("now", now())
                        .setParameter("order", event.data().orderId())
                        .setParameter("reseller", event.resellerId())
                        .setParameter("from", BEING_PROVISIONED)
                        .executeUpdate());
    }

    @Incoming("proxy-provision-failed")
    public Uni<Void> onProvisionFailed(String json) {
        return EventHandlers.applyOnce(sessionFactory, mapper, json, ProxyProvisionFailed.class, "order-failed",
                (session, event) -> session.createNativeQuery("""
                                update orders set status = :failed, failure_reason = :reason, updated_at = :now
                                where id = :order and reseller_id = :reseller and status in (:from)""")
                        .setParameter("failed", OrderStatus.FAILED)
                        .setParameter("reason", event.data().reason())
                        .setParameter("now", now())
                        .setParameter("order", event.data().orderId())
                        .setParameter("reseller", event.resellerId())
                        .setParameter("from", BEING_PROVISIONED)
                        .executeUpdate());
    }

    @Incoming("proxy-expired")
    public Uni<Void> onProxyExpired(String json) {
        return EventHandlers.applyOnce(sessionFactory, mapper, json, ProxyExpired.class, "order-expired",
                (session, event) -> session.createNativeQuery("""
                                update orders set status = :expired, updated_at = :now
                                where id = :order and reseller_id = :reseller and status = :active""")
                        .setParameter("expired", OrderStatus.EXPIRED)
                        .setParameter("now", now())
                        .setParameter("order", event.data().orderId())
                        .setParameter("reseller", event.resellerId())
                        .setParameter("active", OrderStatus.ACTIVE)
                        .executeUpdate());
    }

    private static LocalDateTime now() {
        return LocalDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
    }
}
