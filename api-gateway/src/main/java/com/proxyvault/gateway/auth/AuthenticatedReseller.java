package com.proxyvault.gateway.auth;

import com.proxyvault.platform.http.ApiException;
import jakarta.enterprise.context.RequestScoped;

/** The reseller whose API key authenticated the current request (set by {@link ApiKeyFilter}). */
@RequestScoped
public class AuthenticatedReseller {

    private Long id;

    void set(long resellerId) {
        this.id = resellerId;
    }

    public long id() {
        if (id == null) {
            throw ApiException.unauthorized("Invalid or missing API key");
        }
        return id;
    }
}
