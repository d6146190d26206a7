package com.proxyvault.billing.accounts;

import com.proxyvault.platform.auth.CurrentReseller;
import com.proxyvault.billing.ledger.Money;
import com.proxyvault.contracts.auth.InternalJwt;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.hibernate.reactive.mutiny.Mutiny;

/** {@code GET /v1/reseller/balance}, served through the gateway. */
@Path("/v1/reseller/balance")
@Tag(name = "Balance")
@RolesAllowed(InternalJwt.RESELLER_ROLE)
@Produces(MediaType.APPLICATION_JSON)
public class BalanceResource {

    private final Mutiny.SessionFactory sessionFactory;
    private final JsonWebToken token;

    public BalanceResource(Mutiny.SessionFactory sessionFactory, JsonWebToken token) {
        this.sessionFactory = sessionFactory;
        this.token = token;
    }

    @GET
    @Operation(summary = "Get current USD balance")
    public Uni<BalanceView> balance() {
        long resellerId = CurrentReseller.resellerId(token);
        // Reading creates nothing: a reseller that never had money has no account row and a balance of 0.00.
        return sessionFactory.withSession(session -> session.find(Account.class, resellerId))
                .map(account -> account == null ? BalanceView.of(Money.ZERO) : new BalanceView(account.balance(), account.currency()));
    }
}
