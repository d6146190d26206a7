package com.proxyvault.gateway.auth;

import com.proxyvault.platform.http.ApiException;
import jakarta.enterprise.context.RequestScoped;

/**
 * The reseller whose API key the public port authenticated for the current request to one of the
 * gateway's own resources (set by {@link EdgeIdentityFilter} from the {@link EdgeIdentity} header).
 */
@RequestScoped
public class AuthenticatedReseller {

    private Long id;

    void set(long resellerId) {
        this.id = resellerId;
    }

    /** The reseller id; 401 when the request did not come through the public port's authentication. */
    public long id() {
        if (id == null) {
            throw ApiException.unauthorized(ApiKeyRefusal.DETAIL);
        }
        return id;
    }
}
