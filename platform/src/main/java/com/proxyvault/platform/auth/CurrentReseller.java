package com.proxyvault.platform.auth;

import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.http.ApiException;
import jakarta.enterprise.context.RequestScoped;
import jakarta.json.JsonNumber;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The caller identity of every service: the reseller the gateway's verified internal token acts for
 * (claim {@link InternalJwt#RESELLER_ID_CLAIM}), never a value from the request body. Every query of a
 * reseller's data is scoped by {@link #id()}; another reseller's object is a 404 (DESIGN.md, trust
 * boundaries). Inject it into resources guarded by {@code @RolesAllowed(InternalJwt.RESELLER_ROLE)}.
 */
@RequestScoped
public class CurrentReseller {

    private final JsonWebToken token;

    public CurrentReseller(JsonWebToken token) {
        this.token = token;
    }

    /** The reseller id (a positive bigserial); 401 {@code "Token does not name a reseller"} otherwise. */
    public long id() {
        return resellerId(token);
    }

    /** Same rule for code that holds the token itself. */
    public static long resellerId(JsonWebToken token) {
        Object claim = token.getClaim(InternalJwt.RESELLER_ID_CLAIM);
        long id = 0;
        if (claim instanceof JsonNumber number && number.isIntegral()) {
            id = number.longValueExact();
        } else if (claim instanceof Number number) {
            id = number.longValue();
        } else if (claim != null) {
            try {
                id = Long.parseLong(claim.toString());
            } catch (NumberFormatException ignored) {
                // a token without a usable reseller id authenticates nobody
            }
        }
        if (id <= 0) {
            throw ApiException.unauthorized("Token does not name a reseller");
        }
        return id;
    }
}
