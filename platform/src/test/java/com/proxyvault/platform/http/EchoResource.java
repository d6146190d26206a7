package com.proxyvault.platform.http;

import com.proxyvault.contracts.auth.InternalJwt;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** A resource of the platform's test app that binds a JSON body, to test the platform's HTTP rules alone. */
@Path("/test/echo")
@RolesAllowed(InternalJwt.RESELLER_ROLE)
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class EchoResource {

    public record Echo(String reference, Long productId) {
    }

    @POST
    public Echo echo(Echo body) {
        return body;
    }
}
