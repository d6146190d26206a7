package com.proxyvault.billing.adjustments;

import com.proxyvault.billing.ledger.Money;
import com.proxyvault.billing.ledger.References;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Texts;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.math.BigDecimal;

/**
 * {@code POST /internal/resellers/{resellerId}/adjustments}: the gateway's operator API
 * ({@code POST /v1/admin/resellers/{id}/adjustments}) with an operator token. Body {@link AdjustmentRequest};
 * answers {@link AdjustmentResponse}: 201 adjusted, 200 the same reference, amount and reason again (current
 * balance), 409 {@code conflict} the reference with another amount ("Reference already used with a different
 * amount") or with the same amount and another reason ("... with a different reason"), 402
 * {@code insufficient_balance} a debit the balance cannot cover, 422 {@code validation_failed} an invalid amount
 * (zero: "amount must not be zero"), reason or reference, 404 a malformed reseller id. Rules: docs/money.md
 * "Endpoints"; nothing is written unless the answer is 201.
 */
@Path("/internal/resellers/{resellerId}/adjustments")
@Tag(name = "Internal: adjustments")
@RolesAllowed(InternalJwt.OPERATOR_ROLE)
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class AdjustmentResource {

    static final int MAX_REASON_LENGTH = 200;

    private final AdjustmentService adjustments;

    public AdjustmentResource(AdjustmentService adjustments) {
        this.adjustments = adjustments;
    }

    @POST
    @Operation(summary = "Correct a reseller's balance by a signed amount, idempotently by reference")
    @APIResponse(responseCode = "201", description = "Adjusted; the new balance")
    @APIResponse(responseCode = "200", description = "This reference was already posted with this amount and reason; the current balance")
    @APIResponse(responseCode = "402", description = "A debit below a zero balance; nothing changed")
    @APIResponse(responseCode = "409", description = "Reference already used with a different amount, or with the same amount and a different reason")
    @APIResponse(responseCode = "422", description = "Invalid amount, reason or reference")
    public Uni<RestResponse<AdjustmentResponse>> adjust(@PathParam("resellerId") String rawResellerId, AdjustmentRequest request) {
        long resellerId = Ids.path(rawResellerId, "Reseller not found");
        if (request == null) {
            throw ApiException.unprocessable("A JSON body with amount, reason and reference is required");
        }
        BigDecimal amount = Money.parseSigned(request.amount(), "amount");
        String reason = Texts.required(request.reason(), "reason", MAX_REASON_LENGTH);
        String reference = References.require(request.reference());
        return adjustments.adjust(resellerId, reference, amount, reason)
                .map(adjustment -> RestResponse.status(
                        adjustment.replayed() ? RestResponse.Status.OK : RestResponse.Status.CREATED,
                        new AdjustmentResponse(adjustment.balance(), Money.CURRENCY, reference, adjustment.amount())));
    }
}
