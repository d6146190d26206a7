package com.proxyvault.billing.accounts;

import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.contracts.http.ApiException;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** The reseller a request acts for: the internal token's {@code reseller_id}, never a value from the body. */
public final class Caller {

    private Caller() {
    }

    public static long resellerId(JsonWebToken token) {
        long resellerId = InternalJwt.resellerId(token);
        if (resellerId <= 0) {
            // Reseller ids are bigserials; anything else is a token no gateway issued.
            throw ApiException.unauthorized("Token does not name a reseller");
        }
        return resellerId;
    }
}
