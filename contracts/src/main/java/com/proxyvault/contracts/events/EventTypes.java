package com.proxyvault.contracts.events;

import java.util.List;

/** Event type names; each is also the name of its Kafka topic. */
public final class EventTypes {
    public static final String ORDER_PAID = "order.paid";
    public static final String ORDER_CANCELLED = "order.cancelled";
    public static final String ORDER_FAILED = "order.failed";
    public static final String PROXY_PROVISIONED = "proxy.provisioned";
    public static final String PROXY_EXPIRED = "proxy.expired";
    public static final String PROXY_PROVISION_FAILED = "proxy.provision_failed";
    public static final String PROXY_PROVISIONING = "proxy.provisioning";
    public static final String CHARGE_POSTED = "charge.posted";
    /** order-service asks billing to charge an order it created itself (an auto-renewal: no reseller request). */
    public static final String CHARGE_REQUESTED = "charge.requested";
    /** billing could not post a requested charge (insufficient balance): nothing moved. */
    public static final String CHARGE_REFUSED = "charge.refused";
    /** The fleet's auto-renew checkpoint: order-service creates and charges a renewal order. */
    public static final String PROXY_RENEWAL_DUE = "proxy.renewal_due";
    /** A paid renewal moved the proxy's expires_at forward. */
    public static final String PROXY_RENEWED = "proxy.renewed";
    /** The proxy expires soon and will not be renewed (auto-renew off, or its renewal was refused). */
    public static final String PROXY_EXPIRING = "proxy.expiring";
    /** A verified IP rotation: the proxy's exit IP changed. */
    public static final String PROXY_IP_ROTATED = "proxy.ip_rotated";
    /**
     * A reset the fleet took on (it answered 202, or 503 when it failed within the sync wait) did not rotate the
     * exit IP: the modem failed, never gave a new IP, or could not be reached. Nothing changed on the proxy.
     */
    public static final String PROXY_ROTATION_FAILED = "proxy.rotation_failed";
    /** The proxy's agent missed the heartbeat timeout. */
    public static final String PROXY_OFFLINE = "proxy.offline";
    /** An offline proxy's agent reconnected: active again. */
    public static final String PROXY_ONLINE = "proxy.online";
    /** A location the fleet serves was added, changed or removed (fleet-wide: reseller_id 0, key = location id). */
    public static final String LOCATION_UPDATED = "location.updated";

    /** Events resellers can subscribe to with webhooks (the seed contract lists exactly these). */
    public static final List<String> PUBLIC = List.of(ORDER_PAID, PROXY_PROVISIONED, PROXY_EXPIRED);

    public static final List<String> ALL = List.of(CHARGE_POSTED, CHARGE_REQUESTED, CHARGE_REFUSED, ORDER_PAID,
            ORDER_CANCELLED, ORDER_FAILED, PROXY_PROVISIONING, PROXY_PROVISIONED, PROXY_EXPIRED, PROXY_PROVISION_FAILED,
            PROXY_RENEWAL_DUE, PROXY_RENEWED, PROXY_EXPIRING, PROXY_IP_ROTATED, PROXY_ROTATION_FAILED,
            PROXY_OFFLINE, PROXY_ONLINE, LOCATION_UPDATED);

    /**
     * Events about the fleet rather than one reseller: their envelope's {@code reseller_id} is 0, and their Kafka
     * key is the object's own id (a compacted topic keeps its last state). Every other event names its reseller.
     */
    public static final List<String> FLEET_WIDE = List.of(LOCATION_UPDATED);

    private EventTypes() {
    }
}
