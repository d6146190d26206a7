package com.proxyvault.orders.orders;

import com.fasterxml.jackson.annotation.JsonFormat;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestResponse;

import java.math.BigDecimal;

/**
 * billing-service's internal charge API. The caller's own internal token is passed on, so billing charges
 * exactly the reseller the gateway authenticated, and nobody else.
 */
@RegisterRestClient(configKey = "billing")
@Path("/internal/charges")
public interface BillingClient {

    /** 201 when this call posted the charge, 200 when the reference was charged already (a replay). */
    @POST
    Uni<RestResponse<ChargeResult>> charge(@HeaderParam("Authorization") String authorization, ChargeRequest request);

    record ChargeRequest(String reference, @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount,
                         String description) {
    }

    record ChargeResult(String reference, BigDecimal amount, BigDecimal balance, String currency) {
    }
}
