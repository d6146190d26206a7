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

    /** Events resellers can subscribe to with webhooks (the seed contract lists exactly these). */
    public static final List<String> PUBLIC = List.of(ORDER_PAID, PROXY_PROVISIONED, PROXY_EXPIRED);

    public static final List<String> ALL = List.of(CHARGE_POSTED, ORDER_PAID, ORDER_CANCELLED, ORDER_FAILED,
            PROXY_PROVISIONING, PROXY_PROVISIONED, PROXY_EXPIRED, PROXY_PROVISION_FAILED);

    private EventTypes() {
    }
}
