package com.proxyvault.platform.auth;

import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.junit.jupiter.api.Test;

import javax.crypto.SecretKey;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The memory of verified tokens never accepts what the full verification would refuse (VerifiedTokenCache). */
class VerifiedTokenCacheTest {

    private static final long T0 = 1_800_000_000L; // seconds

    private final MovableClock clock = new MovableClock(T0 * 1000);
    private final CountingParser delegate = new CountingParser();
    private final VerifiedTokenCache cache = new VerifiedTokenCache(delegate, clock);

    @Test
    void shouldVerifyATokenOnceWhileItIsUsable() throws ParseException {
        delegate.accept("a", T0, T0 + 60);

        JsonWebToken first = cache.parse("a");
        clock.advanceMillis(59_000);
        JsonWebToken second = cache.parse("a");

        assertSame(first, second);
        assertEquals(1, delegate.calls("a"));
    }

    @Test
    void shouldVerifyAgainOnceTheTokenExpiredAndPassOnTheRefusal() throws ParseException {
        delegate.accept("a", T0, T0 + 30);
        cache.parse("a");

        clock.advanceMillis(30_000); // exp reached
        delegate.refuse("a");

        assertThrows(ParseException.class, () -> cache.parse("a"));
        assertEquals(2, delegate.calls("a"));
    }

    @Test
    void shouldNotServeATokenPastTheLongestLifeAcceptedEvenIfItsExpIsLater() throws ParseException {
        delegate.accept("long", T0, T0 + 3600); // signed with a longer life than the services accept
        cache.parse("long");

        clock.advanceMillis(60_000);
        delegate.refuse("long");

        assertThrows(ParseException.class, () -> cache.parse("long"));
    }

    @Test
    void shouldNeverRememberARefusal() {
        delegate.refuse("bad");

        assertThrows(ParseException.class, () -> cache.parse("bad"));
        assertThrows(ParseException.class, () -> cache.parse("bad"));
        assertEquals(2, delegate.calls("bad"));
    }

    @Test
    void shouldVerifyAnyOtherTextFromScratch() throws ParseException {
        delegate.accept("a", T0, T0 + 60);
        delegate.refuse("a ");
        cache.parse("a");

        assertThrows(ParseException.class, () -> cache.parse("a "));
    }

    @Test
    void shouldVerifyEveryTimeInAnotherContext() throws ParseException {
        delegate.accept("a", T0, T0 + 60);
        cache.parse("a", null);
        cache.parse("a", null);

        assertEquals(2, delegate.calls("a"));
    }

    @Test
    void shouldStayBoundedWhateverCallersSend() throws ParseException {
        for (int i = 0; i <= VerifiedTokenCache.MAX_ENTRIES; i++) {
            delegate.accept("t" + i, T0, T0 + 60);
            cache.parse("t" + i);
        }

        assertTrue(cache.size() <= VerifiedTokenCache.MAX_ENTRIES, "entries: " + cache.size());
    }

    /** A delegate that accepts or refuses each token text as told and counts the verifications. */
    private static final class CountingParser implements JWTParser {

        private final Map<String, JsonWebToken> accepted = new HashMap<>();
        private final Map<String, Integer> calls = new HashMap<>();

        void accept(String token, long iat, long exp) {
            accepted.put(token, new Claims(Map.of("iat", iat, "exp", exp)));
        }

        void refuse(String token) {
            accepted.remove(token);
        }

        int calls(String token) {
            return calls.getOrDefault(token, 0);
        }

        @Override
        public JsonWebToken parse(String token) throws ParseException {
            calls.merge(token, 1, Integer::sum);
            JsonWebToken jwt = accepted.get(token);
            if (jwt == null) {
                throw new ParseException("refused");
            }
            return jwt;
        }

        @Override
        public JsonWebToken parse(String token, JWTAuthContextInfo context) throws ParseException {
            return parse(token);
        }

        @Override
        public JsonWebToken verify(String token, PublicKey key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public JsonWebToken verify(String token, SecretKey key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public JsonWebToken verify(String token, String secret) {
            throw new UnsupportedOperationException();
        }

        @Override
        public JsonWebToken decrypt(String token, PrivateKey key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public JsonWebToken decrypt(String token, SecretKey key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public JsonWebToken decrypt(String token, String secret) {
            throw new UnsupportedOperationException();
        }

        @Override
        public JsonWebToken parseOnly(String token) {
            throw new UnsupportedOperationException();
        }
    }

    private record Claims(Map<String, Object> claims) implements JsonWebToken {
        @Override
        public String getName() {
            return "test";
        }

        @Override
        public Set<String> getClaimNames() {
            return claims.keySet();
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T getClaim(String name) {
            return (T) claims.get(name);
        }
    }

    private static final class MovableClock extends Clock {
        private long millis;

        MovableClock(long millis) {
            this.millis = millis;
        }

        void advanceMillis(long delta) {
            millis += delta;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public long millis() {
            return millis;
        }
    }
}
