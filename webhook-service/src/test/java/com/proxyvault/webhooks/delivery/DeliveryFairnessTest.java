package com.proxyvault.webhooks.delivery;

import com.proxyvault.platform.auth.InternalTokens;
import com.proxyvault.platform.http.AtOnce;
import com.proxyvault.webhooks.WebhookFixtures;
import com.proxyvault.webhooks.WebhookFixtures.Registered;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static com.proxyvault.webhooks.WebhookFixtures.newReseller;
import static com.proxyvault.webhooks.WebhookFixtures.register;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One endpoint's backlog never hides another endpoint's due deliveries from the claim, a small claim takes its rows
 * round-robin across resellers and endpoints, and resend/replay queue an event at most once per endpoint while it is
 * pending (docs/webhooks.md "Isolation", "API"; hostile review, HIGH: 3,500 replayed rows of three slow endpoints
 * kept another reseller's test pending for minutes).
 *
 * <p>The service's own dispatcher takes no attempts here ({@link NoDispatch}: max-in-flight 0), so the test's claims
 * are the only ones and each test asserts exactly what a claim returned, never how long anything took. Every claim
 * sees the whole table, so each test starts with nothing pending.
 */
@QuarkusTest
@TestProfile(DeliveryFairnessTest.NoDispatch.class)
class DeliveryFairnessTest {

    private static final String WEBHOOKS = "/v1/reseller/webhooks";
    private static final Duration LEASE = Duration.ofHours(1);
    private static final int PER_ENDPOINT = 8;
    /** The API's timestamp form (LocalDateTime.toString leaves out zero seconds). */
    private static final DateTimeFormatter SINCE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    /** The service claims nothing itself: neither the dispatcher nor the fan-out has a free slot. */
    public static class NoDispatch implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("proxyvault.webhooks.max-in-flight", "0");
        }
    }

    @Inject
    AgroalDataSource dataSource;

    @Inject
    DeliveryStore store;

    @BeforeEach
    void nothingPending() throws SQLException {
        WebhookFixtures.update(dataSource, "update deliveries set status = 'cancelled' where status = 'pending'");
    }

    @Test
    void shouldClaimAnotherEndpointsDueRowWhileFewEndpointsHaveThousandsOfOlderDueRows() throws Exception {
        // The attack: three endpoints of one reseller with 4,500 due rows, older than anyone else's, all their
        // slots on this replica taken by attempts the receiver answers after 14 s. The old claim read the 2,000
        // oldest due rows (all theirs), dropped them as full, and claimed nothing until the backlog drained.
        long attacker = newReseller();
        List<Long> slow = List.of(webhook(attacker), webhook(attacker), webhook(attacker));
        for (long endpoint : slow) {
            due(endpoint, attacker, 1_500, "1 hour");
        }
        long victim = newReseller();
        long tested = webhook(victim);
        due(tested, victim, 1, "1 second");

        Map<Long, Integer> slowOnesFull = slow.stream().collect(Collectors.toMap(id -> id, id -> PER_ENDPOINT));
        List<DueDelivery> claimed = claim(50, slowOnesFull);

        assertEquals(List.of(tested), webhookIds(claimed), "the other endpoint's row, and nothing of the full ones");

        // With their slots free again the slow endpoints get theirs, at most their slots each, whatever their backlog.
        due(tested, victim, 1, "1 second");
        Map<Long, Long> next = claim(50, Map.of()).stream()
                .collect(Collectors.groupingBy(DueDelivery::webhookId, Collectors.counting()));
        assertEquals(Map.of(slow.get(0), 8L, slow.get(1), 8L, slow.get(2), 8L, tested, 1L), next);
    }

    @Test
    void shouldTakeEveryEndpointsFirstDueRowBeforeAnyEndpointsSecond() throws Exception {
        long reseller = newReseller();
        long first = webhook(reseller);
        long second = webhook(reseller);
        long third = webhook(reseller);
        List<Long> oldestOfFirst = due(first, reseller, 5, "3 hours");
        List<Long> oldestOfSecond = due(second, reseller, 5, "2 hours");
        List<Long> onlyOfThird = due(third, reseller, 1, "1 hour");

        List<DueDelivery> claimed = claim(3, Map.of());

        assertEquals(List.of(oldestOfFirst.get(0), oldestOfSecond.get(0), onlyOfThird.get(0)), ids(claimed),
                "one row of each endpoint, each its oldest, not the three oldest of the first");
        assertEquals(List.of(oldestOfFirst.get(1), oldestOfSecond.get(1)), ids(claim(2, Map.of())), "then the second round");
    }

    @Test
    void shouldTakeEveryResellersFirstDueRowBeforeAnyResellersSecond() throws Exception {
        // A reseller with many endpoints gets one row per round like a reseller with one: four endpoints with
        // older rows do not take a claim of two.
        long many = newReseller();
        for (int i = 0; i < 4; i++) {
            due(webhook(many), many, 2, "2 hours");
        }
        long one = newReseller();
        long alone = webhook(one);
        List<Long> itsRow = due(alone, one, 1, "1 hour");

        List<DueDelivery> claimed = claim(2, Map.of());

        assertEquals(2, claimed.size());
        assertEquals(1, claimed.stream().filter(delivery -> delivery.webhookId() == alone).count(),
                "the reseller with one endpoint is in the first round");
        assertEquals(itsRow, claimed.stream().filter(delivery -> delivery.webhookId() == alone).map(DueDelivery::id).toList());
    }

    @Test
    void shouldGiveASlotThatFreesToTheResellerWithFewerAttemptsInFlight() throws Exception {
        // A full replica frees its slots one at a time, and a claim with room for one row takes the first round's
        // first row: by age alone that is always the backlog's oldest, whose reseller already holds the replica.
        long holding = newReseller();
        long slow = webhook(holding);
        long otherOfTheSame = webhook(holding);
        due(slow, holding, 20, "2 hours");
        due(otherOfTheSame, holding, 20, "2 hours");
        long waiting = newReseller();
        long tested = webhook(waiting);
        List<Long> itsTest = due(tested, waiting, 1, "1 second");

        List<DueDelivery> claimed = claim(1, Map.of(slow, 5));

        assertEquals(itsTest, ids(claimed), "the reseller with nothing in flight first, though its row is the newest");
        assertEquals(List.of(otherOfTheSame), webhookIds(claim(1, Map.of(slow, 5))),
                "within the reseller, the endpoint with nothing in flight first");
    }

    @Test
    void shouldNotQueueASecondPendingDeliveryOfAnEventOnReplay() throws Exception {
        long reseller = newReseller();
        Registered webhook = register(reseller, "http://127.0.0.1:9/replayed", "*");
        LocalDateTime since = LocalDateTime.now(ZoneOffset.UTC).minusHours(2).withNano(0);
        event(webhook.id(), reseller, "delivered");
        event(webhook.id(), reseller, "pending"); // waiting for its retry: it will bring this event itself
        event(webhook.id(), reseller, "failed");

        replay(reseller, webhook.id(), since).body("detail", equalTo("Replay queued")).body("events", equalTo(2));
        replay(reseller, webhook.id(), since).body("events", equalTo(0));
        assertEquals(0, eventsPendingTwice(webhook.id()));
        assertEquals(3, count("select count(*) from deliveries where webhook_id = ? and status = 'pending'", webhook.id()));

        // Sent meanwhile: a replay queues them again, once, however many replays arrive at the same moment.
        WebhookFixtures.update(dataSource, "update deliveries set status = 'delivered' where webhook_id = ? and status = 'pending'",
                webhook.id());
        List<Integer> queued = AtOnce.call(8, i -> replay(reseller, webhook.id(), since).extract().path("events"));
        assertEquals(3, queued.stream().mapToInt(Integer::intValue).sum(), "every event queued by exactly one replay");
        assertEquals(0, eventsPendingTwice(webhook.id()));
    }

    @Test
    void shouldNotQueueASecondPendingDeliveryOfAnEventOnResend() throws Exception {
        long reseller = newReseller();
        Registered webhook = register(reseller, "http://127.0.0.1:9/resent", "*");
        String eventId = event(webhook.id(), reseller, "delivered");
        long attemptId = count("""
                insert into delivery_attempts (delivery_id, webhook_id, event_type, attempt, success, attempted_at, event_id)
                select id, webhook_id, event_type, 1, true, created_at, event_id from deliveries
                where webhook_id = ? and event_id = ?::uuid returning id""", webhook.id(), eventId);
        String resend = WEBHOOKS + "/" + webhook.id() + "/deliveries/" + attemptId + "/resend";

        for (int i = 0; i < 3; i++) {
            as(reseller).post(resend).then().statusCode(202)
                    .body("detail", equalTo("Delivery queued")).body("event_id", equalTo(eventId));
        }

        assertEquals(1, count("select count(*) from deliveries where webhook_id = ? and status = 'pending'", webhook.id()),
                "one resend pending; the two after it found it queued");
    }

    private List<DueDelivery> claim(int limit, Map<Long, Integer> inFlight) {
        return store.claimDue(limit, PER_ENDPOINT, inFlight, LEASE).await().atMost(Duration.ofSeconds(30));
    }

    /** A live endpoint of {@code reseller} (no API: nothing is sent here). */
    private long webhook(long reseller) throws SQLException {
        return WebhookFixtures.liveWebhook(dataSource, reseller, "http://127.0.0.1:9/slow");
    }

    /** {@code rows} pending deliveries due since {@code age} ago (a PostgreSQL interval), 1 ms apart; their ids, oldest first. */
    private List<Long> due(long webhookId, long reseller, int rows, String age) throws SQLException {
        return WebhookFixtures.due(dataSource, webhookId, reseller, rows, age);
    }

    /** An event the fan-out gave this endpoint an hour ago, now {@code status}; its id. */
    private String event(long webhookId, long reseller, String status) throws SQLException {
        String eventId = UUID.randomUUID().toString();
        WebhookFixtures.update(dataSource, """
                insert into deliveries (webhook_id, reseller_id, event_id, event_type, payload, origin, status, attempts, created_at)
                values (?, ?, ?::uuid, 'order.paid', '{}', 'event', ?, 1, (now() at time zone 'utc') - interval '1 hour')""",
                webhookId, reseller, eventId, status);
        return eventId;
    }

    private long eventsPendingTwice(long webhookId) throws SQLException {
        return count("""
                select count(*) from (select event_id from deliveries where webhook_id = ? and status = 'pending'
                                      group by event_id having count(*) > 1) twice""", webhookId);
    }

    private ValidatableResponse replay(long reseller, long webhookId, LocalDateTime since) {
        return as(reseller).contentType(ContentType.JSON).body(Map.of("since", SINCE.format(since)))
                .post(WEBHOOKS + "/" + webhookId + "/replay").then().statusCode(202);
    }

    private static RequestSpecification as(long reseller) {
        return given().auth().oauth2(InternalTokens.webhooks().reseller(reseller));
    }

    private long count(String sql, Object... parameters) throws SQLException {
        return WebhookFixtures.count(dataSource, sql, parameters);
    }

    /** The claimed ids in ascending order (an update returns its rows in no particular order). */
    private static List<Long> ids(List<DueDelivery> claimed) {
        return claimed.stream().map(DueDelivery::id).sorted().toList();
    }

    private static List<Long> webhookIds(List<DueDelivery> claimed) {
        return claimed.stream().map(DueDelivery::webhookId).toList();
    }
}
