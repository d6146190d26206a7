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

    private InternalJwt() {
    }
}
