package com.proxyvault.gateway.keys;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.gateway.auth.AuthenticatedReseller;
import io.quarkus.hibernate.reactive.panache.Panache;
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

import java.time.LocalDateTime;
import java.util.List;

/** The seed's API Keys section. The caller was authenticated by {@link com.proxyvault.gateway.auth.ApiKeyFilter}. */
@Path("/v1/reseller/keys")
@Produces(MediaType.APPLICATION_JSON)
public class ApiKeyResource {

    private static final int MAX_NAME_LENGTH = 100;

    private final ApiKeyService keys;
    private final AuthenticatedReseller caller;

    public ApiKeyResource(ApiKeyService keys, AuthenticatedReseller caller) {
        this.keys = keys;
        this.caller = caller;
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

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> create(CreateKeyRequest request) {
        String name = request == null || request.name() == null ? "" : request.name().trim();
        if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            throw ApiException.unprocessable("name is required (1 to " + MAX_NAME_LENGTH + " characters)");
        }
        return Panache.withTransaction(() -> keys.issueWithinLimit(caller.id(), name))
                .map(issued -> Response.status(Response.Status.CREATED).entity(new CreatedKey(issued.key().id,
                        issued.key().name, issued.plaintext(), issued.key().createdAt)).build());
    }

    @GET
    public Uni<KeyList> list() {
        return keys.active(caller.id()).map(list -> new KeyList(list.stream()
                .map(k -> new KeySummary(k.id, k.name, k.lastUsedAt, k.createdAt)).toList()));
    }

    @DELETE
    @Path("/{keyId}")
    public Uni<Detail> revoke(@PathParam("keyId") String keyId) {
        long id;
        try {
            id = Long.parseLong(keyId);
        } catch (NumberFormatException e) {
            throw ApiException.notFound("API key not found");
        }
        return keys.revoke(caller.id(), id).replaceWith(new Detail("API key revoked"));
    }
}
