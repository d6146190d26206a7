package com.proxyvault.gateway.idempotency;

import com.proxyvault.gateway.ratelimit.ManualClock;
import com.proxyvault.platform.http.ApiException;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link IdempotencyStore} against the gateway's test database. Most tests use a store on a
 * {@link ManualClock} (leases and the 24 h retention without waiting); one uses the application's bean.
 */
@QuarkusTest
class IdempotencyStoreTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] ORDER = "{\"product_id\": 1, \"pricing_id\": 2}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] CREATED = "{\"id\": 7, \"status\": \"pending_payment\"}".getBytes(StandardCharsets.UTF_8);

    @Inject
    Pool pool;
    @Inject
    IdempotencyStore injected;

    private final ManualClock clock = ManualClock.startingNow();
    private IdempotencyStore store;
    private long reseller;
    private final String key = "order-" + UUID.randomUUID();

    @BeforeEach
    void setUp() {
        store = new IdempotencyStore(pool, clock, Duration.ofHours(24), Duration.ofSeconds(60), 2);
        reseller = newReseller();
    }

    private long newReseller() {
        return pool.preparedQuery("insert into resellers (name, created_at) values ($1, $2) returning id")
                .execute(Tuple.of("idem-" + UUID.randomUUID(), LocalDateTime.now()))
                .await().atMost(WAIT).iterator().next().getLong("id");
    }

    private Begin begin(IdempotencyStore on, long resellerId, String idempotencyKey, byte[] body) {
        return on.begin(resellerId, idempotencyKey, "POST", "/v1/reseller/orders", body).await().atMost(WAIT);
    }

    private Begin begin(byte[] body) {
        return begin(store, reseller, key, body);
    }

    private Begin.Token proceed(Begin begin) {
        return assertInstanceOf(Begin.Proceed.class, begin).token();
    }

    @Test
    void shouldProceedWithTheFirstRequestOfAKey() {
        Begin first = begin(injected, reseller, key, ORDER);
        Begin.Token token = proceed(first);
        assertEquals(reseller, token.resellerId());
        assertEquals(key, token.key());
    }

    @Test
    void shouldReplayTheFirstAnswerToTheSameRequest() {
        Begin.Token token = proceed(begin(ORDER));
        store.complete(token, 201, "application/json", CREATED).await().atMost(WAIT);

        Begin.Replay replay = assertInstanceOf(Begin.Replay.class, begin(ORDER));
        assertEquals(201, replay.status());
        assertEquals("application/json", replay.contentType());
        assertArrayEquals(CREATED, replay.body());
        clock.advance(Duration.ofHours(23)); // still within the 24 h
        assertInstanceOf(Begin.Replay.class, begin(ORDER));
    }

    @Test
    void shouldReplayA4xxAnswerWithoutContentTypeOrBody() {
        Begin.Token token = proceed(begin(ORDER));
        store.complete(token, 402, null, null).await().atMost(WAIT);
        Begin.Replay replay = assertInstanceOf(Begin.Replay.class, begin(ORDER));
        assertEquals(402, replay.status());
        assertNull(replay.contentType());
        assertEquals(0, replay.body().length);
    }

    @Test
    void shouldRefuseTheSameKeyForAnotherRequest() {
        Begin.Token token = proceed(begin(ORDER));
        byte[] other = "{\"product_id\": 2, \"pricing_id\": 2}".getBytes(StandardCharsets.UTF_8);
        assertInstanceOf(Begin.Mismatch.class, begin(other)); // while the first is in flight
        store.complete(token, 201, "application/json", CREATED).await().atMost(WAIT);
        assertInstanceOf(Begin.Mismatch.class, begin(other)); // and after
        Begin otherPath = store.begin(reseller, key, "POST", "/v1/reseller/orders/7/pay", ORDER).await().atMost(WAIT);
        assertInstanceOf(Begin.Mismatch.class, otherPath);
    }

    @Test
    void shouldAnswerInProgressToADuplicateWhileTheFirstIsInFlight() {
        proceed(begin(ORDER));
        assertInstanceOf(Begin.InProgress.class, begin(ORDER));
        clock.advance(Duration.ofSeconds(59)); // the lease is 60 s
        assertInstanceOf(Begin.InProgress.class, begin(ORDER));
    }

    @Test
    void shouldLetExactlyOneOfConcurrentDuplicatesProceed() {
        List<Uni<Begin>> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            all.add(store.begin(reseller, key, "POST", "/v1/reseller/orders", ORDER));
        }
        List<Begin> results = Uni.join().all(all).andFailFast().await().atMost(WAIT);
        assertEquals(1, results.stream().filter(Begin.Proceed.class::isInstance).count());
        assertEquals(7, results.stream().filter(Begin.InProgress.class::isInstance).count());
    }

    @Test
    void shouldLetARetryRunAgainAfterARelease() {
        Begin.Token first = proceed(begin(ORDER));
        store.release(first).await().atMost(WAIT); // e.g. the upstream was unreachable
        // still bound to the first request: another one with the key is refused, and takes nothing
        assertInstanceOf(Begin.Mismatch.class, begin("{\"product_id\": 2, \"pricing_id\": 2}".getBytes(StandardCharsets.UTF_8)));
        Begin.Token second = proceed(begin(ORDER));
        store.complete(second, 503, "application/json", "{}".getBytes(StandardCharsets.UTF_8)).await().atMost(WAIT);
        Begin.Token third = proceed(begin(ORDER)); // a 5xx is not kept either
        store.complete(third, 201, "application/json", CREATED).await().atMost(WAIT);
        assertInstanceOf(Begin.Replay.class, begin(ORDER));
    }

    @Test
    void shouldLetARetryTakeOverAKeyWhoseHolderDied() {
        Begin.Token dead = proceed(begin(ORDER));
        clock.advance(Duration.ofSeconds(60)); // the lease ran out
        Begin.Token retry = proceed(begin(ORDER));
        assertFalse(dead.lease().equals(retry.lease()));

        // The first holder's late answer is not stored, and it cannot release the new holder's key.
        store.complete(dead, 201, "application/json", "{\"id\": 1}".getBytes(StandardCharsets.UTF_8)).await().atMost(WAIT);
        store.release(dead).await().atMost(WAIT);
        assertInstanceOf(Begin.InProgress.class, begin(ORDER));

        store.complete(retry, 201, "application/json", CREATED).await().atMost(WAIT);
        assertArrayEquals(CREATED, assertInstanceOf(Begin.Replay.class, begin(ORDER)).body());
    }

    @Test
    void shouldRefuseAnotherRequestWithAKeyWhoseHolderDied() {
        proceed(begin(ORDER));
        clock.advance(Duration.ofSeconds(60)); // the lease ran out: the first request may have written upstream
        assertInstanceOf(Begin.Mismatch.class, begin("{\"product_id\": 2, \"pricing_id\": 2}".getBytes(StandardCharsets.UTF_8)));
        proceed(begin(ORDER));
    }

    @Test
    void shouldForgetAKey24HoursAfterItsFirstRequest() {
        Begin.Token token = proceed(begin(ORDER));
        store.complete(token, 201, "application/json", CREATED).await().atMost(WAIT);
        clock.advance(Duration.ofHours(24));
        proceed(begin(ORDER)); // a new request, not a replay
    }

    @Test
    void shouldPruneExpiredKeysInBatches() {
        for (int i = 0; i < 5; i++) {
            Begin.Token token = proceed(begin(store, reseller, key + "-" + i, ORDER));
            store.complete(token, 201, "application/json", CREATED).await().atMost(WAIT);
        }
        clock.advance(Duration.ofHours(24));
        store.pruneExpired().await().atMost(WAIT); // batches of 2 until none is left
        long left = pool.preparedQuery("select count(*) from idempotency_keys where reseller_id = $1")
                .execute(Tuple.of(reseller)).await().atMost(WAIT).iterator().next().getLong(0);
        assertEquals(0, left);
    }

    @Test
    void shouldKeepEachResellersKeysApart() {
        proceed(begin(ORDER));
        proceed(begin(store, newReseller(), key, ORDER));
    }

    @Test
    void shouldRefuseAnInvalidKeyWith422() {
        for (String invalid : new String[]{"", "x".repeat(256), "caf\u00e9", "tab\there", "new\nline"}) {
            ApiException refused = assertThrows(ApiException.class,
                    () -> begin(store, reseller, invalid, ORDER), invalid);
            assertEquals(422, refused.status());
        }
        proceed(begin(store, reseller, "x".repeat(255), ORDER));
        proceed(begin(store, reseller, "a b~!", ORDER));
    }
}
