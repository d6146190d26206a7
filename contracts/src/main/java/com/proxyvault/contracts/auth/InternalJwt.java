package com.proxyvault.contracts.auth;

/**
 * The short-lived token the gateway puts on every request it forwards. Services trust nothing else:
 * they verify it with the gateway's public key ({@code internal-jwt/dev-public.pem} in this jar for the
 * local stack, {@code INTERNAL_JWT_PUBLIC_KEY_LOCATION} elsewhere) and scope every query by
 * {@link #RESELLER_ID_CLAIM}.
 */
public final class InternalJwt {
    public static final String ISSUER = "proxyvault-gateway";
    /** Numeric reseller id the request acts for. */
    public static final String RESELLER_ID_CLAIM = "reseller_id";
    /** Group of tokens that act for one reseller. */
    public static final String RESELLER_ROLE = "reseller";
    /** Group of tokens the gateway issues for operator calls (top-ups). */
    public static final String OPERATOR_ROLE = "operator";

    private InternalJwt() {
    }
}
