package com.proxyvault.contracts.auth;

/**
 * The names inside the short-lived token the gateway puts on every request it forwards. Services trust
 * nothing else: they verify it with the gateway's public key ({@code INTERNAL_JWT_PUBLIC_KEY_LOCATION})
 * and scope every query by {@link #RESELLER_ID_CLAIM} (read through {@code platform}'s
 * {@code CurrentReseller}).
 */
public final class InternalJwt {
    public static final String ISSUER = "proxyvault-gateway";
    /** Numeric reseller id the request acts for. */
    public static final String RESELLER_ID_CLAIM = "reseller_id";
    /** Group of tokens that act for one reseller. */
    public static final String RESELLER_ROLE = "reseller";
    /** Group of tokens the gateway issues for operator calls (top-ups, dead-letter replays). */
    public static final String OPERATOR_ROLE = "operator";

    /**
     * Audiences ({@code aud}): every internal token names the service(s) it is for, and each service
     * refuses a token that does not name it (issue 6, docs/api.md "Service trust"). A token for
     * order-service also names billing-service, because order-service passes the caller's token on when
     * it charges billing for that reseller's order.
     */
    public static final String AUDIENCE_BILLING = "billing-service";
    public static final String AUDIENCE_ORDERS = "order-service";
    public static final String AUDIENCE_FLEET = "proxy-fleet-service";
    public static final String AUDIENCE_WEBHOOKS = "webhook-service";

    /** Longest life of an internal token the gateway issues, in seconds; services refuse older ones. */
    public static final int MAX_TTL_SECONDS = 60;

    private InternalJwt() {
    }
}
