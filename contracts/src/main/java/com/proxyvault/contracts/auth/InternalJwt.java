package com.proxyvault.contracts.auth;

import com.proxyvault.contracts.http.ApiException;
import jakarta.json.JsonNumber;
import org.eclipse.microprofile.jwt.JsonWebToken;

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

    /** The reseller a verified internal token acts for; 401 when the token names none. */
    public static long resellerId(JsonWebToken token) {
        Object claim = token.getClaim(RESELLER_ID_CLAIM);
        if (claim instanceof JsonNumber number) {
            return number.longValueExact();
        }
        if (claim instanceof Number number) {
            return number.longValue();
        }
        if (claim != null) {
            try {
                return Long.parseLong(claim.toString());
            } catch (NumberFormatException ignored) {
                // fall through: a token without a usable reseller id authenticates nobody
            }
        }
        throw ApiException.unauthorized("Token does not name a reseller");
    }
}
