package com.proxyvault.gateway.auth;

import com.proxyvault.gateway.keys.ApiKeys;

import java.util.regex.Pattern;

/**
 * The {@code detail} of the 401 {@code unauthorized} that {@code /v1/reseller/*} answers without a valid API key,
 * in one place for everything that answers it (the public port's {@code EdgeRequests}, {@link EdgeIdentityFilter},
 * {@link AuthenticatedReseller}). Only the sentence varies: the status, the code and the failed-authentication count
 * are those of any other refused key (docs/api.md "Error body and codes").
 */
public final class ApiKeyRefusal {

    /** The detail for a missing, unknown or revoked key. */
    public static final String DETAIL = "Invalid or missing API key";

    /**
     * The detail when the {@code Authorization} header carries what looks like a JWT: an operator who pasted the
     * console's token into a reseller call learnt nothing from {@link #DETAIL} (operator review). The seed sends the
     * key as {@code Authorization: Bearer rv_...}, so that is what the sentence names.
     */
    public static final String OPERATOR_TOKEN_DETAIL = DETAIL + ": an operator token (JWT) was sent where the reseller"
            + " API key belongs; /v1/reseller takes the reseller's " + ApiKeys.PREFIX + " key as Authorization: Bearer "
            + ApiKeys.PREFIX + "...";

    /**
     * A JWS in compact form (RFC 7515 §7.1): header, payload and signature, each base64url without padding.
     * Possessive, so a long header that is no JWT fails in one pass.
     */
    private static final Pattern COMPACT_JWT = Pattern.compile("[A-Za-z0-9_-]++\\.[A-Za-z0-9_-]++\\.[A-Za-z0-9_-]++");

    private ApiKeyRefusal() {
    }

    /**
     * The detail for a request refused with the {@code Authorization} header {@code authorization} (null when it had
     * none): {@link #OPERATOR_TOKEN_DETAIL} when it is {@code Bearer} followed by something shaped like a JWT, else
     * {@link #DETAIL}. Only the shape is looked at: the token is not verified, so the answer says nothing about
     * whether it would have been accepted on {@code /v1/admin}.
     */
    public static String detail(String authorization) {
        return looksLikeJwt(bearerToken(authorization)) ? OPERATOR_TOKEN_DETAIL : DETAIL;
    }

    /** Whether {@code token} has a compact JWT's three base64url parts (an {@code rv_} key never counts). */
    static boolean looksLikeJwt(String token) {
        return token != null && !token.startsWith(ApiKeys.PREFIX) && COMPACT_JWT.matcher(token).matches();
    }

    private static String bearerToken(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return authorization.substring(7).trim();
    }
}
