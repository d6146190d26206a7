package com.proxyvault.gateway.resellers;

import com.proxyvault.gateway.auth.InternalTokenIssuer;
import com.proxyvault.gateway.operations.ServiceClients;
import org.jboss.logging.Logger;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.gateway.keys.ApiKeyService;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.resteasy.reactive.RestResponse;

import com.proxyvault.platform.input.Amounts;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Texts;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/** Operator API: create resellers (with their first key) and top up their balance. */
@Path("/v1/admin/resellers")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed("operator")
public class ResellerAdminResource {

    private static final int MAX_NAME_LENGTH = 100;
    /** As billing's top-up reference (docs/api.md, "Field rules"). */
    private static final int MAX_REFERENCE_LENGTH = 100;
    private static final int MAX_REASON_LENGTH = 200;

    private static final Logger LOG = Logger.getLogger(ResellerAdminResource.class);

    private final ApiKeyService keys;
    private final ServiceClients services;
    private final InternalTokenIssuer tokens;
    private final JsonWebToken operator;

    public ResellerAdminResource(ApiKeyService keys, ServiceClients services, InternalTokenIssuer tokens,
                                 JsonWebToken operator) {
        this.keys = keys;
        this.services = services;
        this.tokens = tokens;
        this.operator = operator;
    }

    public record CreateResellerRequest(String name) {
    }

    public record FirstKey(long id, String name, String key) {
    }

    public record CreatedReseller(long id, String name, FirstKey apiKey, LocalDateTime createdAt) {
    }

    public record TopUpRequest(String amount, String reference) {
    }

    public record AdjustmentRequest(String amount, String reason, String reference) {
    }

    @POST
    public Uni<Response> create(CreateResellerRequest request) {
        if (request == null) {
            throw ApiException.unprocessable("name is required");
        }
        String name = Texts.required(request.name(), "name", MAX_NAME_LENGTH).trim();
        return Panache.withTransaction(() -> Reseller.count("name", name).chain(existing -> {
                    if (existing > 0) {
                        return Uni.createFrom().failure(ApiException.conflict("A reseller named '" + name + "' already exists"));
                    }
                    Reseller reseller = new Reseller();
                    reseller.name = name;
                    reseller.createdAt = keys.now();
                    return reseller.<Reseller>persist().chain(saved -> keys.issue(saved.id, "default")
                            .map(issued -> new CreatedReseller(saved.id, saved.name,
                                    new FirstKey(issued.key().id, issued.key().name, issued.plaintext()), saved.createdAt)));
                }))
                .onFailure(ResellerAdminResource::isUniqueViolation)
                .transform(e -> ApiException.conflict("A reseller named '" + name + "' already exists"))
                .map(created -> Response.status(Response.Status.CREATED).entity(created).build());
    }

    /**
     * Credits the balance through billing. The reference makes it idempotent: the same reference twice
     * credits once, and both answers show the balance.
     */
    @POST
    @Path("/{resellerId}/topups")
    public Uni<Response> topUp(@PathParam("resellerId") String resellerId, TopUpRequest request,
                               @HeaderParam("traceparent") String traceparent) {
        long id = Ids.path(resellerId, "Reseller not found");
        if (request == null) {
            throw ApiException.unprocessable("amount is required");
        }
        // Judged here as billing judges them, so nothing malformed is even sent on.
        BigDecimal amount = Amounts.positive(request.amount(), "amount");
        String reference = Texts.required(request.reference(), "reference", MAX_REFERENCE_LENGTH);
        Map<String, Object> body = new HashMap<>();
        body.put("amount", amount.toPlainString());
        body.put("reference", reference);
        return billing(id, "Top-up", bearer -> services.of("billing").topUp(bearer, traceparent, id, body))
                .map(answer -> answer.getStatus() / 100 == 2
                        ? Response.status(Response.Status.CREATED).entity(answer.getEntity()).build()
                        : Response.status(answer.getStatus()).entity(answer.getEntity()).build());
    }

    /**
     * A signed correction of the balance through billing ({@code "amount": "-5.00"} or {@code "5.00"},
     * a reason, and a reference that makes it idempotent; docs/money.md). Billing judges the amount (it
     * owns the money rules, and refuses a balance below zero with 402); the gateway checks the texts.
     */
    @POST
    @Path("/{resellerId}/adjustments")
    public Uni<Response> adjust(@PathParam("resellerId") String resellerId, AdjustmentRequest request,
                                @HeaderParam("traceparent") String traceparent) {
        long id = Ids.path(resellerId, "Reseller not found");
        if (request == null) {
            throw ApiException.unprocessable("amount is required");
        }
        Map<String, Object> body = new HashMap<>();
        body.put("amount", Texts.required(request.amount(), "amount", 20));
        body.put("reason", Texts.required(request.reason(), "reason", MAX_REASON_LENGTH));
        body.put("reference", Texts.required(request.reference(), "reference", MAX_REFERENCE_LENGTH));
        return billing(id, "Adjustment", bearer -> services.of("billing").adjust(bearer, traceparent, id, body))
                .map(answer -> Response.status(answer.getStatus()).entity(answer.getEntity()).build());
    }

    /**
     * One operator call to billing for reseller {@code id}: 404 when the gateway knows no such reseller,
     * the call with an operator token for billing, and 503 when billing cannot be reached.
     */
    private Uni<RestResponse<Map<String, Object>>> billing(long id, String what,
            Function<String, Uni<RestResponse<Map<String, Object>>>> call) {
        String operatorName = operator.getSubject() == null ? "operator" : operator.getSubject();
        return Panache.withSession(() -> Reseller.<Reseller>findById(id))
                .onItem().ifNull().failWith(() -> ApiException.notFound("Reseller not found"))
                .chain(reseller -> call.apply("Bearer " + tokens.forOperator(operatorName, "billing"))
                        .onFailure().transform(failure -> {
                            LOG.warnf("%s for reseller %d failed: %s", what, id, failure.toString());
                            return ApiException.unavailable("Billing is unavailable, try again");
                        }));
    }

    private static boolean isUniqueViolation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("resellers_name_key")) {
                return true;
            }
        }
        return false;
    }
}
