package com.proxyvault.billing.accounts;

import com.proxyvault.billing.ledger.Money;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.auth.CurrentReseller;
import com.proxyvault.platform.input.Paging;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.temporal.ChronoUnit;

/**
 * {@code GET /v1/reseller/balance/transactions?limit&offset}, served through the gateway: the caller's own
 * ledger, newest first ({@link TransactionPage}; limit 1..100, default 50, offset ≥ 0, else 422). One statement
 * ({@link LedgerPageQuery}: one snapshot), so {@code total} and the page agree; {@code total} is the account's
 * {@code last_seq} (entries are numbered 1..last_seq), not a count over the history. The shape is the public one
 * and carries no adjustment reason, which operators write for operators ({@link OperatorTransactionsResource}).
 */
@Path("/v1/reseller/balance/transactions")
@Tag(name = "Balance")
@RolesAllowed(InternalJwt.RESELLER_ROLE)
@Produces(MediaType.APPLICATION_JSON)
public class TransactionsResource {

    private final Pool pool;
    private final JsonWebToken token;

    public TransactionsResource(Pool pool, JsonWebToken token) {
        this.pool = pool;
        this.token = token;
    }

    @GET
    @Operation(summary = "List the balance's movements, newest first")
    public Uni<TransactionPage> transactions(@QueryParam("limit") String limit, @QueryParam("offset") String offset) {
        long resellerId = CurrentReseller.resellerId(token);
        Paging paging = Paging.of(limit, offset);
        return LedgerPageQuery.read(pool, resellerId, paging, TransactionsResource::view)
                .map(page -> new TransactionPage(page.entries(), page.total()));
    }

    /** A row of {@link LedgerPageQuery} as the reseller sees it (no reason: docs/money.md "Endpoints"). */
    private static TransactionView view(Row row) {
        return new TransactionView(row.getLong("id"), row.getString("kind"),
                Money.normalize(row.getBigDecimal("amount")), Money.normalize(row.getBigDecimal("balance_after")),
                row.getLong("order_id"), row.getString("reference"),
                row.getLocalDateTime("created_at").truncatedTo(ChronoUnit.SECONDS));
    }
}
