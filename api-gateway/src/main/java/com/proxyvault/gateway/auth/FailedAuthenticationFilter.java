package com.proxyvault.gateway.auth;

import com.proxyvault.gateway.edge.ClientAddresses;
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
    private final ClientAddresses clientAddresses;

    public FailedAuthenticationFilter(FailedAuthentications failures, ClientAddresses clientAddresses) {
        this.failures = failures;
        this.clientAddresses = clientAddresses;
    }

    void register(@Observes Filters filters) {
        filters.register(context -> {
            context.addHeadersEndHandler(ignored -> {
                if (context.response().getStatusCode() == 401) {
                    failures.record(clientAddresses.of(context.request()));
                }
            });
            context.next();
        }, 9_000);
    }
}
