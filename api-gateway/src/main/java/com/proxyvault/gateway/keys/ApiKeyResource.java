package com.proxyvault.gateway.keys;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.gateway.auth.AuthenticatedReseller;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.gateway.idempotency.Begin;
import com.proxyvault.gateway.idempotency.IdempotencyKeys;
import com.proxyvault.gateway.idempotency.IdempotencyStore;
import com.proxyvault.platform.http.ApiError;
import io.quarkus.hibernate.reactive.panache.Panache;
import jakarta.ws.rs.HeaderParam;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Texts;
import java.util.Map;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.time.LocalDateTime;
import java.util.List;

/** The seed's API Keys section. The public port authenticated the caller ({@link com.proxyvault.gateway.auth.EdgeIdentityFilter}). */
@Path("/v1/reseller/keys")
@Produces(MediaType.APPLICATION_JSON)
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class ApiKeyResource {

    private static final int MAX_NAME_LENGTH = 100;

    private static final String PATH = "/v1/reseller/keys";

    private final ApiKeyService keys;
    private final AuthenticatedReseller caller;
    private final IdempotencyStore idempotency;
    private final KeyResponseSealer sealer;
    private final ObjectMapper mapper;

    public ApiKeyResource(ApiKeyService keys, AuthenticatedReseller caller, IdempotencyStore idempotency,
                          KeyResponseSealer sealer, ObjectMapper mapper) {
        this.keys = keys;
        this.caller = caller;
        this.idempotency = idempotency;
        this.sealer = sealer;
        this.mapper = mapper;
    }

    public record CreateKeyRequest(String name) {
    }

    public record CreatedKey(long id, String name, String key, LocalDateTime createdAt) {
    }

    public record KeySummary(long id, String name, LocalDateTime lastUsedAt, LocalDateTime createdAt) {
    }

    public record KeyList(List<KeySummary> keys) {
    }

    public record Detail(String detail) {
    }

    /**
     * Creates a key (201, the plaintext shown this once). With {@code Idempotency-Key} a repeat of the
     * same request within 24 h gets the first answer again ({@code Idempotent-Replayed: true}; stored
     * sealed, {@link KeyResponseSealer}), another body 422, a repeat in flight 409 (docs/api.md).
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> create(CreateKeyRequest request, @HeaderParam(IdempotencyKeys.HEADER) String idempotencyKey) {
        if (request == null) {
            throw ApiException.unprocessable("name is required");
        }
        String name = Texts.required(request.name(), "name", MAX_NAME_LENGTH).trim();
        if (idempotencyKey == null) {
            return createKey(name);
        }
        // The parsed body, re-serialised: the same request spelled with other whitespace is the same request.
        byte[] fingerprint = json(Map.of("name", request.name()));
        long resellerId = caller.id();
        return idempotency.begin(resellerId, idempotencyKey, "POST", PATH, fingerprint).chain(begin -> afterBegin(begin, name));
    }

    private Uni<Response> afterBegin(Begin begin, String name) {
        if (begin instanceof Begin.Replay replay) {
            byte[] answer;
            try {
                answer = sealer.open(replay.body());
            } catch (IllegalStateException e) {
                // Sealed under a signing key that has been rotated since: the key was made, but its
                // answer cannot be shown again.
                return Uni.createFrom().failure(ApiException.conflict(
                        "The answer to this Idempotency-Key can no longer be replayed; list your keys instead"));
            }
            return Uni.createFrom().item(Response.status(replay.status())
                    .type(replay.contentType()).header(IdempotencyKeys.REPLAYED_HEADER, "true")
                    .entity(answer).build());
        }
        if (begin instanceof Begin.InProgress) {
            return Uni.createFrom().failure(new ApiException(409, IdempotencyKeys.CODE_IN_PROGRESS,
                    "A request with this Idempotency-Key is still being processed; retry later"));
        }
        if (!(begin instanceof Begin.Proceed proceed)) {
            return Uni.createFrom().failure(new ApiException(422, IdempotencyKeys.CODE_REUSED,
                    "This Idempotency-Key was used for another request (method, path or body)"));
        }
        return createKey(name)
                .call(created -> idempotency.complete(proceed.token(), created.getStatus(), MediaType.APPLICATION_JSON,
                        sealer.seal(json(created.getEntity()))))
                .onFailure(ApiException.class).call(failure -> {
                    ApiException refused = (ApiException) failure;
                    return idempotency.complete(proceed.token(), refused.status(), MediaType.APPLICATION_JSON,
                            sealer.seal(json(new ApiError(refused.detail(), refused.code()))));
                })
                .onFailure(failure -> !(failure instanceof ApiException))
                .call(failure -> idempotency.release(proceed.token()));
    }

    private Uni<Response> createKey(String name) {
        return Panache.withTransaction(() -> keys.issueWithinLimit(caller.id(), name))
                .map(issued -> Response.status(Response.Status.CREATED).entity(new CreatedKey(issued.key().id,
                        issued.key().name, issued.plaintext(), issued.key().createdAt)).build());
    }

    private byte[] json(Object entity) {
        try {
            return mapper.writeValueAsBytes(entity);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @GET
    public Uni<KeyList> list() {
        return keys.active(caller.id()).map(list -> new KeyList(list.stream()
                .map(k -> new KeySummary(k.id, k.name, k.lastUsedAt, k.createdAt)).toList()));
    }

    @DELETE
    @Path("/{keyId}")
    public Uni<Detail> revoke(@PathParam("keyId") String keyId) {
        long id = Ids.path(keyId, "API key not found");
        return keys.revoke(caller.id(), id).replaceWith(new Detail("API key revoked"));
    }
}
