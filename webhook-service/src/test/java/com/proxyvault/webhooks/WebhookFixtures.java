package com.proxyvault.webhooks;

import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventTypes;
import com.proxyvault.contracts.events.OrderPaid;
import com.proxyvault.contracts.events.ProxyExpired;
import com.proxyvault.contracts.events.ProxyProvisioned;
import com.proxyvault.platform.auth.InternalTokens;
import io.restassured.http.ContentType;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static io.restassured.RestAssured.given;

/**
 * What the service's end-to-end tests share: a fresh reseller, registered webhooks, the events as producers
 * write them, and plain JDBC reads and writes of the service's database (outside the code under test).
 */
public final class WebhookFixtures {

    private WebhookFixtures() {
    }

    /** A webhook as {@code POST /v1/reseller/webhooks} answered it: its id and its secret (shown only then). */
    public record Registered(long id, String secret) {
    }

    /** Registers {@code url} for {@code events} as {@code reseller} through the API (201 expected). */
    public static Registered register(long reseller, String url, String events) {
        Map<?, ?> created = given().auth().oauth2(InternalTokens.webhooks().reseller(reseller))
                .contentType(ContentType.JSON)
                .body(Map.of("url", url, "events", events))
                .post("/v1/reseller/webhooks")
                .then().statusCode(201)
                .extract().as(Map.class);
        return new Registered(((Number) created.get("id")).longValue(), (String) created.get("secret"));
    }

    /** The first column of the first row of {@code sql} (a count), with {@code parameters} bound in order. */
    public static long count(DataSource dataSource, String sql, Object... parameters) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = bind(connection.prepareStatement(sql), parameters);
             ResultSet rows = statement.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Runs {@code sql} with {@code parameters} bound in order. */
    public static void update(DataSource dataSource, String sql, Object... parameters) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = bind(connection.prepareStatement(sql), parameters)) {
            statement.executeUpdate();
        }
    }

    /** The first column of every row of {@code sql} (ids), with {@code parameters} bound in order. */
    public static List<Long> ids(DataSource dataSource, String sql, Object... parameters) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = bind(connection.prepareStatement(sql), parameters);
             ResultSet rows = statement.executeQuery()) {
            List<Long> ids = new ArrayList<>();
            while (rows.next()) {
                ids.add(rows.getLong(1));
            }
            return ids;
        }
    }

    /**
     * A live endpoint of {@code reseller} for every event, written straight into the table (no API, no secret anyone
     * knows): for tests that need endpoints to exist, not to be registered. Its id.
     */
    public static long liveWebhook(DataSource dataSource, long reseller, String url) throws SQLException {
        return count(dataSource, "insert into webhooks (reseller_id, url, secret, events) values (?, ?, 'whsec_x', '*') returning id",
                reseller, url);
    }

    /**
     * {@code rows} pending deliveries to {@code webhookId}, due since {@code age} ago (a PostgreSQL interval), 1 ms
     * apart, as the API's replays make them (body {@code {}}); the endpoint's pending ids, oldest first. The insert
     * wakes the service's dispatcher (V4's trigger), which claims them unless it is held back.
     */
    public static List<Long> due(DataSource dataSource, long webhookId, long reseller, int rows, String age) throws SQLException {
        update(dataSource, """
                insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, origin, next_attempt_at)
                select ?, ?, gen_random_uuid(), 'order.paid', '{}', 'replay',
                       (now() at time zone 'utc') - ?::interval + g * interval '1 millisecond'
                from generate_series(1, ?) g""", webhookId, reseller, age, rows);
        return ids(dataSource, """
                select id from deliveries where webhook_id = ? and status = 'pending' order by next_attempt_at, id""", webhookId);
    }

    private static PreparedStatement bind(PreparedStatement statement, Object... parameters) throws SQLException {
        for (int i = 0; i < parameters.length; i++) {
            statement.setObject(i + 1, parameters[i]);
        }
        return statement;
    }

    public static EventEnvelope<OrderPaid> orderPaid(long reseller) {
        return EventEnvelope.of(EventTypes.ORDER_PAID, reseller, new OrderPaid(42, 1, 2, "Multi Hop Proxy", "24 Hour",
                new BigDecimal("20.00"), "day", 1, now()));
    }

    public static EventEnvelope<ProxyProvisioned> proxyProvisioned(long reseller) {
        return EventEnvelope.of(EventTypes.PROXY_PROVISIONED, reseller, new ProxyProvisioned(7, 42, "5E9F-2026-03-09",
                "199.188.89.209", 8000, "user123", "pass456", "LAX", "active", now().plusDays(1)));
    }

    public static EventEnvelope<ProxyExpired> proxyExpired(long reseller) {
        return EventEnvelope.of(EventTypes.PROXY_EXPIRED, reseller, new ProxyExpired(7, 42, now()));
    }

    /** UTC now to the second, as events carry time. */
    public static LocalDateTime now() {
        return LocalDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
    }

    /** A reseller id no other test uses (every test makes its own, so tests share one database). */
    public static long newReseller() {
        return ThreadLocalRandom.current().nextLong(1_000_000, 1_000_000_000);
    }
}
