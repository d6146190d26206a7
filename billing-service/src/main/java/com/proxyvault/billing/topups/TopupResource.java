package com.proxyvault.billing.topups;

import com.proxyvault.billing.accounts.BalanceView;
import com.proxyvault.billing.ledger.Money;
import com.proxyvault.billing.ledger.References;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.input.Ids;
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
 * {@code POST /internal/resellers/{resellerId}/topups}: called by the gateway's operator API with an
 * operator token. 201 with the new balance; 200 with the current balance when the reference was already
 * credited; 409 when it was credited with another amount.
 */
@Path("/internal/resellers/{resellerId}/topups")
@Tag(name = "Internal: top-ups")
@RolesAllowed(InternalJwt.OPERATOR_ROLE)
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class TopupResource {

    private final TopupService topups;

    public TopupResource(TopupService topups) {
        this.topups = topups;
    }

    @POST
    @Operation(summary = "Credit a reseller's balance, idempotently by reference")
    @APIResponse(responseCode = "201", description = "Credited; the new balance")
    @APIResponse(responseCode = "200", description = "This reference was already credited the same amount; the current balance")
    @APIResponse(responseCode = "409", description = "Reference already used with a different amount")
    @APIResponse(responseCode = "422", description = "Invalid amount or reference")
    public Uni<RestResponse<BalanceView>> topUp(@PathParam("resellerId") String rawResellerId, TopupRequest request) {
        long resellerId = Ids.path(rawResellerId, "Reseller not found");
        if (request == null) {
            throw ApiException.unprocessable("A JSON body with amount and reference is required");
        }
        BigDecimal amount = Money.parsePositive(request.amount(), "amount");
        String reference = References.require(request.reference());
        return topups.topUp(resellerId, reference, amount)
                .map(topup -> RestResponse.status(
                        topup.replayed() ? RestResponse.Status.OK : RestResponse.Status.CREATED,
                        BalanceView.of(topup.balance())));
    }
}
