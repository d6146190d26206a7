package com.proxyvault.billing.refunds;

import com.proxyvault.billing.ledger.References;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.auth.CurrentReseller;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Texts;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.Cancellable;

/**
 * {@code POST /internal/refunds}: a refund on a reseller's internal token (operators' tools; order-service
 * refunds through {@code order.failed} instead), so only the caller's own charges can be refunded. 201
 * refunded, 200 this endpoint's earlier refund of the same charge, 404 no such charge, 409 already refunded
 * by another path (the {@code order.failed} listener).
 */
@Path("/internal/refunds")
@Tag(name = "Internal: refunds")
@RolesAllowed(InternalJwt.RESELLER_ROLE)
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class RefundResource {

    private static final int MAX_REASON_LENGTH = 500;

    private final RefundService refunds;
    private final JsonWebToken token;

    public RefundResource(RefundService refunds, JsonWebToken token) {
        this.refunds = refunds;
        this.token = token;
    }

    @POST
    @Operation(summary = "Give the calling reseller one charge back, exactly its amount, at most once")
    @APIResponse(responseCode = "201", description = "Refunded")
    @APIResponse(responseCode = "200", description = "Already refunded by this endpoint; nothing changed")
    @APIResponse(responseCode = "404", description = "The reseller has no such charge (for this order)")
    @APIResponse(responseCode = "409", description = "Already refunded by another path; nothing changed")
    @APIResponse(responseCode = "422", description = "Invalid order_id, charge_reference or reason")
    public Uni<RestResponse<RefundResponse>> refund(RefundRequest request) {
        long resellerId = CurrentReseller.resellerId(token);
        if (request == null) {
            throw ApiException.unprocessable("A JSON body with order_id, charge_reference and reason is required");
        }
        long orderId = Ids.body(request.orderId(), "order_id");
        String chargeReference = Texts.required(request.chargeReference(), "charge_reference", References.MAX_LENGTH);
        String reason = Texts.required(request.reason(), "reason", MAX_REASON_LENGTH);
        return refunds.refundCharge(resellerId, orderId, chargeReference, reason)
                .map(refund -> RestResponse.status(
                        refund.replayed() ? RestResponse.Status.OK : RestResponse.Status.CREATED,
                        RefundResponse.of(refund)));
    }
}
