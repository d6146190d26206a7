package com.proxyvault.gateway.auth;

import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Feeds {@link FailedAuthentications} with the 401s Quarkus' router answers (the operator API's JWTs);
 * the public port counts the 401s it answers itself.
 */
@ApplicationScoped
public class FailedAuthenticationFilter {

    private final FailedAuthentications failures;

    public FailedAuthenticationFilter(FailedAuthentications failures) {
        this.failures = failures;
    }

    void register(@Observes Filters filters) {
        filters.register(context -> {
            context.addHeadersEndHandler(ignored -> {
                if (context.response().getStatusCode() == 401) {
                    var remote = context.request().remoteAddress();
                    failures.record(remote == null ? "unknown" : remote.hostAddress());
                }
            });
            context.next();
        }, 9_000);
    }
}
