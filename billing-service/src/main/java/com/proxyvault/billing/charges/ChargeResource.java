package com.proxyvault.billing.charges;

import com.proxyvault.platform.auth.CurrentReseller;
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
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.math.BigDecimal;

/**
 * {@code POST /internal/charges}: order-service forwards the reseller's internal token, so the charged
 * reseller is always the caller, never a value from the body. 201 for a new charge, 200 when the reference
 * was already charged (same body, current balance).
 */
@Path("/internal/charges")
@Tag(name = "Internal: charges")
@RolesAllowed(InternalJwt.RESELLER_ROLE)
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class ChargeResource {

    private static final int MAX_DESCRIPTION_LENGTH = 500;

    private final ChargeService charges;
    private final JsonWebToken token;

    public ChargeResource(ChargeService charges, JsonWebToken token) {
        this.charges = charges;
        this.token = token;
    }

    @POST
    @Operation(summary = "Debit the calling reseller, idempotently by reference")
    @APIResponse(responseCode = "201", description = "Charged")
    @APIResponse(responseCode = "200", description = "This reference was already charged the same amount; nothing changed")
    @APIResponse(responseCode = "402", description = "Insufficient balance; nothing changed")
    @APIResponse(responseCode = "409", description = "Reference already used with a different amount")
    @APIResponse(responseCode = "422", description = "Invalid reference, amount or description")
    public Uni<RestResponse<ChargeResponse>> charge(ChargeRequest request) {
        long resellerId = CurrentReseller.resellerId(token);
        if (request == null) {
            throw ApiException.unprocessable("A JSON body with reference and amount is required");
        }
        String reference = References.requireCharge(request.reference());
        BigDecimal amount = Money.parsePositive(request.amount(), "amount");
        String description = Texts.optional(request.description(), "description", MAX_DESCRIPTION_LENGTH);
        Long orderId = orderId(request, reference);
        return charges.charge(resellerId, reference, amount, description, orderId)
                .map(charge -> RestResponse.status(
                        charge.replayed() ? RestResponse.Status.OK : RestResponse.Status.CREATED,
                        ChargeResponse.of(charge)));
    }

    /**
     * {@code order_id} when given (positive); otherwise the id in a reference {@code order:<id>}, or null. A
     * reference {@code order:<id>} naming another order than {@code order_id} is refused: the refund paths
     * find a charge by either.
     */
    private static Long orderId(ChargeRequest request, String reference) {
        Long fromReference = References.orderIdOf(reference);
        if (request.orderId() == null) {
            return fromReference;
        }
        long orderId = Ids.body(request.orderId(), "order_id");
        if (fromReference != null && fromReference != orderId) {
            throw ApiException.unprocessable("order_id does not match the reference " + reference);
        }
        return orderId;
    }
}
