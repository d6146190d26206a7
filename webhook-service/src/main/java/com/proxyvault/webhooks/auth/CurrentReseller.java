package com.proxyvault.webhooks.auth;

import com.proxyvault.contracts.auth.InternalJwt;
import jakarta.enterprise.context.RequestScoped;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** The reseller the gateway's internal token acts for; every query is scoped by {@link #id()}. */
@RequestScoped
public class CurrentReseller {

    private final JsonWebToken token;

    public CurrentReseller(JsonWebToken token) {
        this.token = token;
    }

    /** 401 when the token names no reseller. */
    public long id() {
        return InternalJwt.resellerId(token);
    }
}
