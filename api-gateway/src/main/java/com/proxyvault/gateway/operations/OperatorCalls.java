package com.proxyvault.gateway.operations;

import com.proxyvault.platform.http.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestResponse;

import java.util.Map;

/**
 * How the operator resources pass a service's answer on: whatever its status, with its body (a service's 4xx
 * {@code {"detail", "code"}} reaches the operator unchanged); a call that got no answer (the service down, timed
 * out) is 503 "Service <name> is unavailable, try again". An {@link ApiException} raised on the way (a 404 the
 * gateway decided) passes as it is.
 */
final class OperatorCalls {

    private static final Logger LOG = Logger.getLogger(OperatorCalls.class);

    private OperatorCalls() {
    }

    static Uni<Response> relay(String service, Uni<RestResponse<Map<String, Object>>> call) {
        return call
                .map(answer -> Response.status(answer.getStatus()).entity(answer.getEntity()).build())
                .onFailure(failure -> !(failure instanceof ApiException)).transform(failure -> {
                    LOG.warnf("Operator call to %s failed: %s", service, failure.toString());
                    return ApiException.unavailable("Service " + service + " is unavailable, try again");
                });
    }
}
