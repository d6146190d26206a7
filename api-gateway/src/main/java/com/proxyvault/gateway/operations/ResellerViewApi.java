package com.proxyvault.gateway.operations;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import org.jboss.resteasy.reactive.RestResponse;

import java.util.Map;

/**
 * billing-service's reseller reads, called by the gateway for an operator with a token scoped to that one
 * reseller (GET only): the operator console's balance of a reseller (docs/console.md; the ledger is billing's
 * operator listing, {@link InternalOperatorApi#transactions}). Answers
 * pass through whatever their status.
 */
@Path("/v1/reseller/balance")
public interface ResellerViewApi {

    /** {@code {"balance", "currency"}}. */
    @GET
    Uni<RestResponse<Map<String, Object>>> balance(@HeaderParam("Authorization") String authorization,
                                                   @HeaderParam("traceparent") String traceparent);
}
