package com.proxyvault.billing.accounts;

import com.proxyvault.billing.ledger.Money;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.input.Ids;
import com.proxyvault.platform.input.Paging;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.temporal.ChronoUnit;

/**
 * {@code GET /internal/resellers/{resellerId}/transactions?limit&offset} with an operator token: a reseller's
 * ledger as the reseller's own listing shows it ({@link TransactionsResource}: same page, same order, same
 * {@code total}, from the same statement), each entry with {@code reason} — an adjustment's reason, null for
 * other kinds ({@link OperatorTransactionPage}). The reason is for operators: an adjustment said why an account
 * was corrected nowhere an operator could read it (operator review, finding 1), and it stays out of the
 * reseller's public shape because operators wrote it, until now, as an internal note (docs/money.md
 * "Endpoints"). 422 {@code validation_failed} for bad paging (limit 1..100, offset ≥ 0), 404 for a malformed
 * reseller id; like top-ups, billing does not know whether the reseller exists: one that never had money lists
 * nothing, total 0.
 */
@Path("/internal/resellers/{resellerId}/transactions")
@Tag(name = "Internal: ledger")
@RolesAllowed(InternalJwt.OPERATOR_ROLE)
@Produces(MediaType.APPLICATION_JSON)
public class OperatorTransactionsResource {

    private final Pool pool;

    public OperatorTransactionsResource(Pool pool) {
        this.pool = pool;
    }

    @GET
    @Operation(summary = "List a reseller's balance movements for an operator, newest first, with adjustments' reasons")
    public Uni<OperatorTransactionPage> transactions(@PathParam("resellerId") String rawResellerId,
                                                     @QueryParam("limit") String limit, @QueryParam("offset") String offset) {
        long resellerId = Ids.path(rawResellerId, "Reseller not found");
        Paging paging = Paging.of(limit, offset);
        return LedgerPageQuery.read(pool, resellerId, paging, OperatorTransactionsResource::view)
                .map(page -> new OperatorTransactionPage(page.entries(), page.total()));
    }

    private static OperatorTransactionView view(Row row) {
        return new OperatorTransactionView(row.getLong("id"), row.getString("kind"),
                Money.normalize(row.getBigDecimal("amount")), Money.normalize(row.getBigDecimal("balance_after")),
                row.getLong("order_id"), row.getString("reference"), row.getString("reason"),
                row.getLocalDateTime("created_at").truncatedTo(ChronoUnit.SECONDS));
    }
}
