package com.proxyvault.orders.orders;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestResponse;

import java.math.BigDecimal;

/**
 * billing-service's internal API. A reseller's internal token is passed on (audience billing-service), so
 * billing charges exactly the reseller the token names, and nobody else.
 */
@RegisterRestClient(configKey = "billing")
@Path("/internal")
public interface BillingClient {

    /** 201 when this call posted the charge, 200 when the reference was charged already (a replay). */
    @POST
    @Path("/charges")
    Uni<RestResponse<ChargeResult>> charge(@HeaderParam("Authorization") String authorization, ChargeRequest request);

    /**
     * {@code order_id} is sent only when {@code proxyvault.orders.send-order-id=true} (null is left out):
     * billing's strict reader refuses a field it does not know yet.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ChargeRequest(String reference, @JsonFormat(shape = JsonFormat.Shape.STRING) BigDecimal amount,
                         String description, Long orderId) {
    }

    record ChargeResult(String reference, BigDecimal amount, BigDecimal balance, String currency) {
    }
}
