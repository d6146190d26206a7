package com.proxyvault.gateway.resellers;

import com.proxyvault.gateway.auth.InternalTokenIssuer;
import com.proxyvault.gateway.operations.ServiceClients;
import org.jboss.logging.Logger;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.gateway.keys.ApiKeyResource;
import com.proxyvault.gateway.keys.ApiKeyService;
import com.proxyvault.platform.input.Paging;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.QueryParam;
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
import org.jboss.resteasy.reactive.server.Cancellable;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Operator API: create, list and search resellers (with their first key), top up and adjust their balance,
 * read their balance and ledger, and issue and revoke their keys (the operator console, docs/console.md).
 */
@Path("/v1/admin/resellers")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed("operator")
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class ResellerAdminResource {

    private static final int MAX_NAME_LENGTH = 100;

    /**
     * The SQL expression two reseller names are compared by: NFKC (Unicode TR #15: full-width and other
     * compatibility forms to their plain letters) then a full Unicode lower-case through ICU's root collation (the
     * database runs with the C locale, where {@code lower()} folds ASCII only). Indexed by migration V4; the same
     * expression over {@code :name} judges a new name. Cross-script look-alikes (Cyrillic "а" for Latin "a")
     * are not folded: that is UTS #39's confusable skeleton, not a normalization (docs/api.md, "Reseller names").
     */
    private static String nameKey(String operand) {
        return "lower(normalize(" + operand + ", NFKC) collate \"und-x-icu\")";
    }
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

    public record ResellerSummary(long id, String name, LocalDateTime createdAt) {
    }

    public record ResellerPage(List<ResellerSummary> resellers, long total) {
    }

    /**
     * Resellers, newest first, one page ({@code limit}, {@code offset} as every list, docs/api.md); {@code q}
     * (at most 100 characters, no control characters, else 422) keeps those whose name contains it or whose id it
     * is. "Contains" compares {@link #nameKey name keys}, the rule that makes names unique: case (all of Unicode,
     * not ASCII only) and compatibility forms do not matter, so "ÉCOLE" finds "école" and "ａｃｍｅ" finds "Acme".
     */
    @GET
    public Uni<ResellerPage> list(@QueryParam("q") String q, @QueryParam("limit") String limit,
                                  @QueryParam("offset") String offset) {
        Paging page = Paging.of(limit, offset);
        // Judged as every other text parameter (new-user review: q=%00 listed everyone, agent_id=%00 was a 422)
        // before trim(), which strips control characters along with spaces
        String query = q == null ? "" : Texts.optional(q, "q", MAX_NAME_LENGTH).trim();
        long id = query.matches("[1-9][0-9]{0,17}") ? Long.parseLong(query) : -1L;
        // strpos, not LIKE: the query's key is compared as text, so no character of it is a wildcard (a
        // full-width "％" is "%" after NFKC, which escaping before the fold would have missed); '' is in every name
        String where = " from resellers where strpos(" + nameKey("name") + ", " + nameKey(":q") + ") > 0 or id = :id";
        return Panache.withSession(() -> Panache.getSession().chain(session -> session
                .createNativeQuery("select count(*)" + where, Long.class)
                .setParameter("q", query).setParameter("id", id).getSingleResult()
                .chain(total -> session.createNativeQuery("select *" + where + " order by id desc", Reseller.class)
                        .setParameter("q", query).setParameter("id", id)
                        .setFirstResult(page.offset()).setMaxResults(page.limit()).getResultList()
                        .map(found -> new ResellerPage(found.stream()
                                .map(r -> new ResellerSummary(r.id, r.name, r.createdAt)).toList(), total)))));
    }

    /**
     * One reseller, as the list shows each: {@code {"id", "name", "created_at"}}; 404 "Reseller not found" for an
     * unknown or malformed id (its balance and keys: the sub-resources below).
     */
    @GET
    @Path("/{resellerId}")
    public Uni<ResellerSummary> get(@PathParam("resellerId") String resellerId) {
        long id = Ids.path(resellerId, "Reseller not found");
        return Panache.withSession(() -> Reseller.<Reseller>findById(id))
                .onItem().ifNull().failWith(() -> ApiException.notFound("Reseller not found"))
                .map(r -> new ResellerSummary(r.id, r.name, r.createdAt));
    }

    /**
     * Renames a reseller: {@code {"name"}} → 200 {@code {"id", "name", "created_at"}}. The name is judged as at
     * creation (required, at most 100 characters, trimmed, no control or invisible formatting characters) and stays
     * unique by its {@link #nameKey name key} among the other resellers (409 quoting the one that has it), under the
     * same advisory lock; renaming to the same name, or another case of it, is allowed. For names from before the
     * invisible-character rule (new-user review 5, LOW 17: "t\u202Eu" reversed the console's list, and nothing could
     * change it) and for resellers who rename their business. 404 unknown reseller. Other services know resellers by
     * id only, so nothing else changes.
     */
    @jakarta.ws.rs.PATCH
    @Path("/{resellerId}")
    public Uni<ResellerSummary> rename(@PathParam("resellerId") String resellerId, CreateResellerRequest request) {
        long id = Ids.path(resellerId, "Reseller not found");
        String name = newName(request);
        return Panache.withTransaction(() -> lockNameKey(name)
                .chain(locked -> Reseller.<Reseller>findById(id))
                .onItem().ifNull().failWith(() -> ApiException.notFound("Reseller not found"))
                .chain(reseller -> sameNameKey(name, id).chain(existing -> {
                    if (existing != null) {
                        return Uni.createFrom().failure(nameTaken(existing, name));
                    }
                    reseller.name = name;
                    return Uni.createFrom().item(new ResellerSummary(reseller.id, reseller.name, reseller.createdAt));
                })))
                .onFailure(ResellerAdminResource::isUniqueViolation)
                .transform(e -> ApiException.conflict("A reseller named '" + name + "' already exists"));
    }

    /** The reseller's live keys, as the reseller's own {@code GET /v1/reseller/keys} shows them. */
    @GET
    @Path("/{resellerId}/keys")
    public Uni<ApiKeyResource.KeyList> keys(@PathParam("resellerId") String resellerId) {
        long id = Ids.path(resellerId, "Reseller not found");
        return existing(id).chain(() -> keys.active(id)).map(list -> new ApiKeyResource.KeyList(list.stream()
                .map(k -> new ApiKeyResource.KeySummary(k.id, k.name, k.lastUsedAt, k.createdAt)).toList()));
    }

    /** A new key for the reseller (201, shown this once), within the cap of live keys (409). */
    @POST
    @Path("/{resellerId}/keys")
    public Uni<Response> issueKey(@PathParam("resellerId") String resellerId, CreateResellerRequest request) {
        long id = Ids.path(resellerId, "Reseller not found");
        if (request == null) {
            throw ApiException.unprocessable("name is required");
        }
        String name = Texts.required(request.name(), "name", MAX_NAME_LENGTH).trim();
        return Panache.withTransaction(() -> Reseller.<Reseller>findById(id)
                        .onItem().ifNull().failWith(() -> ApiException.notFound("Reseller not found"))
                        .chain(reseller -> keys.issueWithinLimit(id, name)))
                .map(issued -> Response.status(Response.Status.CREATED).entity(new ApiKeyResource.CreatedKey(
                        issued.key().id, issued.key().name, issued.plaintext(), issued.key().createdAt)).build());
    }

    /**
     * Revokes one of the reseller's keys; as for the reseller, never their last live one (409 saying to issue
     * the replacement first: a compromised sole key is replaced, then revoked, and the reseller is never left
     * without a way in).
     */
    @DELETE
    @Path("/{resellerId}/keys/{keyId}")
    public Uni<ApiKeyResource.Detail> revokeKey(@PathParam("resellerId") String resellerId, @PathParam("keyId") String keyId) {
        long id = Ids.path(resellerId, "Reseller not found");
        long key = Ids.path(keyId, "API key not found");
        return keys.revokeAsOperator(id, key).replaceWith(new ApiKeyResource.Detail("API key revoked"));
    }

    /**
     * The reseller's balance, read from billing with a token scoped to that reseller (read only; billing
     * has no operator read of a balance).
     */
    @GET
    @Path("/{resellerId}/balance")
    public Uni<Response> balance(@PathParam("resellerId") String resellerId, @HeaderParam("traceparent") String traceparent) {
        long id = Ids.path(resellerId, "Reseller not found");
        return relay(billing(id, "Balance", "Bearer " + tokens.forReseller(id, "billing"),
                bearer -> services.billingAsReseller().balance(bearer, traceparent)));
    }

    /**
     * The reseller's ledger, newest first, one page, as {@code GET /v1/reseller/balance/transactions} shows it plus
     * each adjustment's {@code reason} (billing's operator listing, called with the operator's token: the reason is
     * the operator's note, not in the reseller's shape; docs/money.md "Endpoints").
     */
    @GET
    @Path("/{resellerId}/transactions")
    public Uni<Response> transactions(@PathParam("resellerId") String resellerId, @QueryParam("limit") String limit,
                                      @QueryParam("offset") String offset, @HeaderParam("traceparent") String traceparent) {
        long id = Ids.path(resellerId, "Reseller not found");
        Paging page = Paging.of(limit, offset);
        return relay(billing(id, "Ledger", operatorBearer(),
                bearer -> services.of("billing").transactions(bearer, traceparent, id, page.limit(), page.offset())));
    }

    private static Uni<Response> relay(Uni<RestResponse<Map<String, Object>>> call) {
        return call.map(answer -> Response.status(answer.getStatus()).entity(answer.getEntity()).build());
    }

    private static Uni<Void> existing(long id) {
        return Panache.withSession(() -> Reseller.<Reseller>findById(id))
                .onItem().ifNull().failWith(() -> ApiException.notFound("Reseller not found"))
                .replaceWithVoid();
    }

    /**
     * Creates a reseller and its first API key: 201 {@code {"id", "name", "key": {...}, "created_at"}}. Names are
     * unique by their {@link #nameKey name key}: regardless of case and of Unicode compatibility forms ("Acme",
     * "acme" and full-width "ＡＣＭＥ" are one reseller to an operator reading a list; new-user reviews): 409 quoting
     * the existing name. Judged in the transaction under an advisory lock on the key, so two creates racing with "Acme"
     * and "ACME" cannot both pass; the database's unique key on the exact name stays as the last word. Not a unique
     * index on the key: its migration would fail on a database that already holds two such names (docs/api.md,
     * "Reseller names").
     */
    @POST
    public Uni<Response> create(CreateResellerRequest request) {
        String name = newName(request);
        return Panache.withTransaction(() -> lockNameKey(name)
                .chain(locked -> sameNameKey(name, 0)).chain(existing -> {
                    if (existing != null) {
                        return Uni.createFrom().failure(nameTaken(existing, name));
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
        return billing(id, "Top-up", operatorBearer(), bearer -> services.of("billing").topUp(bearer, traceparent, id, body))
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
        return billing(id, "Adjustment", operatorBearer(), bearer -> services.of("billing").adjust(bearer, traceparent, id, body))
                .map(answer -> Response.status(answer.getStatus()).entity(answer.getEntity()).build());
    }

    private String operatorBearer() {
        String operatorName = operator.getSubject() == null ? "operator" : operator.getSubject();
        return "Bearer " + tokens.forOperator(operatorName, "billing");
    }

    /**
     * One operator call to billing for reseller {@code id}: 404 when the gateway knows no such reseller,
     * the call with {@code bearer}, and 503 when billing cannot be reached.
     */
    private Uni<RestResponse<Map<String, Object>>> billing(long id, String what, String bearer,
            Function<String, Uni<RestResponse<Map<String, Object>>>> call) {
        return existing(id)
                .chain(() -> call.apply(bearer)
                        .onFailure().transform(failure -> {
                            LOG.warnf("%s for reseller %d failed: %s", what, id, failure.toString());
                            return ApiException.unavailable("Billing is unavailable, try again");
                        }));
    }

    /** A reseller's name as sent: required, at most 100 characters, trimmed, no invisible formatting characters. */
    private static String newName(CreateResellerRequest request) {
        if (request == null) {
            throw ApiException.unprocessable("name is required");
        }
        return Texts.visible(Texts.required(request.name(), "name", MAX_NAME_LENGTH).trim(), "name");
    }

    /**
     * Takes the transaction's advisory lock on {@code name}'s {@link #nameKey name key}: two writers of names with
     * one key ("Acme", "ACME") judge them one after the other.
     */
    private static Uni<Integer> lockNameKey(String name) {
        return Panache.getSession().chain(session -> session.createNativeQuery(
                        "select 1 from (select pg_advisory_xact_lock(hashtext(" + nameKey(":name") + "))) as locked", Integer.class)
                .setParameter("name", name).getSingleResult());
    }

    /** 409 quoting the reseller that has {@code name}'s key, saying why when its name is not {@code name} itself. */
    private static ApiException nameTaken(Reseller existing, String name) {
        return ApiException.conflict("A reseller named '" + existing.name + "' already exists"
                + (existing.name.equals(name) ? "" : " (names are unique regardless of case and of Unicode compatibility forms)"));
    }

    /**
     * A reseller other than {@code except} (0: none) whose {@link #nameKey name key} equals {@code name}'s, or null (read
     * through the V4 index). Excluding the one being renamed matters where V4 kept legacy duplicate keys: with "Acme"
     * and "ACME", renaming the first to "acme" found either row with an unordered {@code limit 1}, so the same request
     * answered 200 or 409 (static review, stop 29, finding 8); the lowest id answers for a stable 409.
     */
    private static Uni<Reseller> sameNameKey(String name, long except) {
        return Panache.getSession().chain(session -> session
                .createNativeQuery("select * from resellers where " + nameKey("name") + " = " + nameKey(":name")
                        + " and id <> :except order by id limit 1", Reseller.class)
                .setParameter("name", name).setParameter("except", except).getResultList())
                .map(found -> found.isEmpty() ? null : found.get(0));
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
