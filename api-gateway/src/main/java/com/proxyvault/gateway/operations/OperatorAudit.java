package com.proxyvault.gateway.operations;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.logging.Logger;

import java.security.Principal;
import java.util.Set;

/**
 * The operator API's audit line: every request that may change something ({@code POST}, {@code PUT}, {@code PATCH},
 * {@code DELETE} under {@code /v1/admin/}) is logged at INFO once answered, with the operator's {@code sub}, the
 * method, the path and the status: {@code Operator alice: POST /v1/admin/resellers/16/topups -> 201}. Top-ups,
 * reseller creation, key issue and revocation, drain and undrain were logged nowhere, and adjustments without who made
 * them (new-user review 5, finding 5: "who credited reseller 16 with 100.00 at 12:58:32?"). One line at the gateway,
 * which every operator call passes, rather than one per service; its {@code traceId=} is the one the service's own
 * lines for the same call carry (the amount and reference are in the ledger entry). Reads are not logged.
 * docs/operations.md "Audit".
 */
@ApplicationScoped
public class OperatorAudit {

    private static final Logger LOG = Logger.getLogger(OperatorAudit.class);
    private static final Set<HttpMethod> CHANGES = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);

    void register(@Observes Filters filters) {
        filters.register(context -> {
            if (CHANGES.contains(context.request().method()) && context.request().path().startsWith("/v1/admin/")) {
                context.addHeadersEndHandler(ignored -> LOG.infof("Operator %s: %s %s -> %d", operator(context),
                        context.request().method(), context.request().path(), context.response().getStatusCode()));
            }
            context.next();
        }, 8_900);
    }

    /** The caller's {@code sub} (its name when not a JWT), or {@code (unauthenticated)} for a request refused before. */
    private static String operator(RoutingContext context) {
        if (context.user() instanceof QuarkusHttpUser user && !user.getSecurityIdentity().isAnonymous()) {
            Principal principal = user.getSecurityIdentity().getPrincipal();
            String sub = principal instanceof JsonWebToken jwt ? jwt.getSubject() : null;
            return sub != null ? sub : principal.getName();
        }
        return "(unauthenticated)";
    }
}
