package com.proxyvault.billing.accounts;

import com.proxyvault.platform.input.Paging;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One page of a reseller's ledger, newest first, and the number of its entries, read by both listings (the
 * reseller's {@link TransactionsResource}, the operator's {@link OperatorTransactionsResource}) so they cannot
 * disagree about which entries a page holds. One statement, so one snapshot: {@code total} and the page agree;
 * {@code total} is the account's {@code last_seq} (entries are numbered 1..last_seq), not a count over the
 * history. Each row has {@code id, seq, kind, amount, balance_after, order_id, reference, created_at} and
 * {@code reason}: an adjustment's description (the operator's reason), null for every other kind — only the
 * operator's view shows it (docs/money.md "Endpoints").
 */
final class LedgerPageQuery {

    private static final String SQL = """
            with page as (
                select id, seq, kind, amount, balance_after, order_id, reference, created_at,
                       case when kind = 'adjustment' then description end as reason
                  from ledger_entries where reseller_id = $1
                 order by seq desc limit $2 offset $3)
            select total.last_seq as total, page.*
              from (select coalesce(max(last_seq), 0) as last_seq from accounts where reseller_id = $1) total
              left join page on true
             order by page.seq desc""";

    /** The entries of one page, each made a view by {@code view}, and the reseller's number of entries. */
    record Page<T>(List<T> entries, long total) {
    }

    private LedgerPageQuery() {
    }

    static <T> Uni<Page<T>> read(Pool pool, long resellerId, Paging paging, Function<Row, T> view) {
        return pool.preparedQuery(SQL)
                .execute(Tuple.of(resellerId, paging.limit(), paging.offset()))
                .map(rows -> {
                    long total = 0;
                    List<T> entries = new ArrayList<>();
                    for (Row row : rows) {
                        total = row.getLong("total");
                        // the left join gives one row of nulls when the page is empty: the total alone
                        if (row.getLong("id") != null) {
                            entries.add(view.apply(row));
                        }
                    }
                    return new Page<>(entries, total);
                });
    }
}
