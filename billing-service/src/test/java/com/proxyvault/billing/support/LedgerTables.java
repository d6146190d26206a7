package com.proxyvault.billing.support;

import jakarta.inject.Singleton;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.time.Duration;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * Reads (and, for the invariant tests, tries to tamper with) the billing tables over plain JDBC, independent
 * of the code under test.
 */
@Singleton
public class LedgerTables {

    public record Entry(String kind, BigDecimal amount, BigDecimal balanceAfter, String reference) {
    }

    private final DataSource dataSource;

    public LedgerTables(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The account row's balance, or null when the reseller has no account row. */
    public BigDecimal accountBalance(long resellerId) {
        return single("select balance from accounts where reseller_id = ?", resellerId);
    }

    public BigDecimal ledgerSum(long resellerId) {
        return single("select coalesce(sum(amount), 0.00) from ledger_entries where reseller_id = ?", resellerId);
    }

    public List<Entry> entries(long resellerId) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "select kind, amount, balance_after, reference from ledger_entries where reseller_id = ? order by id")) {
            statement.setLong(1, resellerId);
            List<Entry> entries = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    entries.add(new Entry(rows.getString(1), rows.getBigDecimal(2), rows.getBigDecimal(3), rows.getString(4)));
                }
            }
            return entries;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Waits until the reseller's ledger has an entry with this reference (written by the Kafka consumer). The
     * bound is generous because a consumer group on a fresh topic takes a while to form; it is not a timing
     * assertion.
     */
    public void awaitEntry(long resellerId, String reference) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> entries(resellerId).stream().anyMatch(entry -> entry.reference().equals(reference)));
    }

    /** Reseller ids whose balance differs from the sum of their ledger, over the whole database. */
    public List<Long> accountsOutOfBalance() {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("""
                     select a.reseller_id from accounts a
                     left join (select reseller_id, sum(amount) as total from ledger_entries group by reseller_id) l
                       on l.reseller_id = a.reseller_id
                     where a.balance <> coalesce(l.total, 0)""");
             ResultSet rows = statement.executeQuery()) {
            List<Long> ids = new ArrayList<>();
            while (rows.next()) {
                ids.add(rows.getLong(1));
            }
            return ids;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one statement in its own (auto-committed) transaction; the database's checks run at that commit. */
    public void execute(String sql) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            connection.setAutoCommit(true);
            statement.execute();
        }
    }

    /**
     * Runs statements in one transaction as the table owner, with {@code accounts}' and {@code ledger_entries}'
     * user triggers disabled: the only way to make the ledger drift, which the invariant check must then see.
     */
    public void tamperWithoutTriggers(String... statements) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (java.sql.Statement statement = connection.createStatement()) {
                statement.execute("alter table accounts disable trigger user");
                statement.execute("alter table ledger_entries disable trigger user");
                for (String sql : statements) {
                    statement.execute(sql);
                }
                statement.execute("alter table accounts enable trigger user");
                statement.execute("alter table ledger_entries enable trigger user");
                connection.commit();
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs statements in one transaction (the deferred checks run at its commit). */
    public void executeInOneTransaction(String... statements) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (java.sql.Statement statement = connection.createStatement()) {
                for (String sql : statements) {
                    statement.execute(sql);
                }
                connection.commit();
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** The first column of the first row, as text. */
    public String queryString(String sql) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql);
             ResultSet rows = statement.executeQuery()) {
            rows.next();
            return rows.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public long queryLong(String sql) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql);
             ResultSet rows = statement.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private BigDecimal single(String sql, long resellerId) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, resellerId);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getBigDecimal(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
