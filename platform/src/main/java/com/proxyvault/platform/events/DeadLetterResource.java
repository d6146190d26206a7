package com.proxyvault.platform.events;

import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Paging;
import com.proxyvault.platform.input.Texts;
import io.quarkus.arc.properties.IfBuildProperty;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.jboss.resteasy.reactive.server.Cancellable;

import java.util.List;

/**
 * The operator's handle on parked events, in every service that consumes events
 * ({@code proxyvault.consumer.enabled=true} at build time). Operator internal token only.
 * <ul>
 *   <li>{@code GET /internal/dead-letters?pending=true&limit=50&offset=0} → {@code {"dead_letters": [...], "total"}};
 *       {@code pending} true/false, paging by {@link Paging} (limit 1..100), else 422.</li>
 *   <li>{@code POST /internal/dead-letters/{id}/replay} → the row with {@code replayed_at} set; 404 unknown or malformed
 *       id, 409 already replayed or failed again (with the error as detail).</li>
 * </ul>
 */
@Path("/internal/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(InternalJwt.OPERATOR_ROLE)
@IfBuildProperty(name = "proxyvault.consumer.enabled", stringValue = "true")
@Cancellable(false) // a write the caller started finishes if the caller hangs up (docs/api.md "Hang-ups")
public class DeadLetterResource {

    private final DeadLetters deadLetters;

    public DeadLetterResource(DeadLetters deadLetters) {
        this.deadLetters = deadLetters;
    }

    /** A page of parked messages and how many there are in all ({@code total}) for the same {@code pending}. */
    public record Page(List<DeadLetters.Parked> deadLetters, long total) {
    }

    /** {@code pending} is {@code true} (default) or {@code false}; paging by {@link Paging}; else 422. */
    @GET
    public Uni<Page> list(@QueryParam("pending") String pending,
                          @QueryParam("limit") String limit,
                          @QueryParam("offset") String offset) {
        boolean onlyPending = !"false".equals(Texts.oneOf(pending, "pending", List.of("true", "false"), false));
        Paging page = Paging.of(limit, offset);
        return deadLetters.list(onlyPending, page.limit(), page.offset())
                .chain(parked -> deadLetters.count(onlyPending).map(total -> new Page(parked, total)));
    }

    @POST
    @Path("/{id}/replay")
    public Uni<DeadLetters.Parked> replay(@PathParam("id") String id) {
        return deadLetters.replay(Ids.path(id, "Dead letter not found"));
    }
}
