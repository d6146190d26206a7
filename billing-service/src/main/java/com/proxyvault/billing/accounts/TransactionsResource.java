package com.proxyvault.billing.accounts;

import com.proxyvault.billing.ledger.Money;
import com.proxyvault.contracts.auth.InternalJwt;
import com.proxyvault.platform.auth.CurrentReseller;
import com.proxyvault.platform.input.Paging;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
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
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/reseller/balance/transactions?limit&offset}, served through the gateway: the caller's own
 * ledger, newest first. One statement (one snapshot), so {@code total} and the page agree; {@code total} is
 * the account's {@code last_seq} (entries are numbered 1..last_seq), not a count over the history.
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
        return pool.preparedQuery("""
                        with page as (
                            select id, seq, kind, amount, balance_after, order_id, reference, created_at
                              from ledger_entries where reseller_id = $1
                             order by seq desc limit $2 offset $3)
                        select total.last_seq as total, page.*
                          from (select coalesce(max(last_seq), 0) as last_seq from accounts where reseller_id = $1) total
                          left join page on true
                         order by page.seq desc""")
                .execute(Tuple.of(resellerId, paging.limit(), paging.offset()))
                .map(rows -> {
                    long total = 0;
                    List<TransactionView> transactions = new ArrayList<>();
                    for (Row row : rows) {
                        total = row.getLong("total");
                        if (row.getLong("id") != null) {
                            transactions.add(view(row));
                        }
                    }
                    return new TransactionPage(transactions, total);
                });
    }

    private static TransactionView view(Row row) {
        return new TransactionView(row.getLong("id"), row.getString("kind"),
                Money.normalize(row.getBigDecimal("amount")), Money.normalize(row.getBigDecimal("balance_after")),
                row.getLong("order_id"), row.getString("reference"),
                row.getLocalDateTime("created_at").truncatedTo(ChronoUnit.SECONDS));
    }
}
