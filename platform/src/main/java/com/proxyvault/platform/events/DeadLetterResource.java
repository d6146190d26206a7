package com.proxyvault.platform.events;

import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.http.ApiException;
import io.quarkus.arc.properties.IfBuildProperty;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/**
 * The operator's handle on parked events, in every service that consumes events
 * ({@code proxyvault.consumer.enabled=true} at build time). Operator internal token only.
 * <ul>
 *   <li>{@code GET /internal/dead-letters?pending=true&limit=50&offset=0} → {@code {"dead_letters": [...]}}</li>
 *   <li>{@code POST /internal/dead-letters/{id}/replay} → the row with {@code replayed_at} set; 404 unknown
 *       id, 409 already replayed or failed again (with the error as detail).</li>
 * </ul>
 */
@Path("/internal/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(InternalJwt.OPERATOR_ROLE)
@IfBuildProperty(name = "proxyvault.consumer.enabled", stringValue = "true")
public class DeadLetterResource {

    private final DeadLetters deadLetters;

    public DeadLetterResource(DeadLetters deadLetters) {
        this.deadLetters = deadLetters;
    }

    public record Page(List<DeadLetters.Parked> deadLetters) {
    }

    @GET
    public Uni<Page> list(@QueryParam("pending") @DefaultValue("true") boolean pending,
                          @QueryParam("limit") @DefaultValue("50") int limit,
                          @QueryParam("offset") @DefaultValue("0") int offset) {
        if (limit < 1 || limit > 500 || offset < 0) {
            throw ApiException.unprocessable("limit must be 1..500 and offset >= 0");
        }
        return deadLetters.list(pending, limit, offset).map(Page::new);
    }

    @POST
    @Path("/{id}/replay")
    public Uni<DeadLetters.Parked> replay(@PathParam("id") long id) {
        return deadLetters.replay(id);
    }
}
