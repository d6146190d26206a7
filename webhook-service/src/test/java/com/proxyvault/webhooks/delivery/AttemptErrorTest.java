package com.proxyvault.webhooks.delivery;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.impl.NoStackTraceTimeoutException;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The {@code error} a reseller reads for an attempt that got no answer (docs/webhooks.md "History"): plain words, never
 * the HTTP client's class names, which the history showed until the verification review of stop 35.
 */
class AttemptErrorTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    @Test
    void shouldSayTimeoutWithTheLimitForTheClientsTimeoutsAndTheGuards() {
        assertEquals("timeout: no complete answer within 15 s", DeliverySender.describe(new NoStackTraceTimeoutException(
                "The timeout period of 15000ms has been exceeded while executing POST /slow for server 127.0.0.1:18555"), TIMEOUT));
        assertEquals("timeout: no complete answer within 15 s",
                DeliverySender.describe(new java.util.concurrent.TimeoutException("no complete answer within 15 s"), TIMEOUT));
        assertEquals("timeout: could not connect within 15 s",
                DeliverySender.describe(new ConnectTimeoutException("connection timed out: /203.0.113.9:443"), TIMEOUT));
    }

    @Test
    void shouldNameARefusedConnectionsAddressAndOtherFailuresInWords() {
        assertEquals("connection refused (127.0.0.1:18555)",
                DeliverySender.describe(new ConnectException("Connection refused: /127.0.0.1:18555"), TIMEOUT));
        assertEquals("connection refused", DeliverySender.describe(new ConnectException(null), TIMEOUT));
        assertEquals("the host name does not resolve", DeliverySender.describe(new UnknownHostException("hooks.example"), TIMEOUT));
        assertEquals("TLS failed: PKIX path building failed",
                DeliverySender.describe(new SSLHandshakeException("PKIX path building failed"), TIMEOUT));
        assertEquals("the connection closed before a complete answer", DeliverySender.describe(new HttpClosedException("x"), TIMEOUT));
    }

    @Test
    void shouldLookThroughWrappersAndKeepAnythingElseAsItIs() {
        assertEquals("connection refused (10.0.0.1:80)", DeliverySender.describe(
                new CompletionException(new ConnectException("Connection refused: /10.0.0.1:80")), TIMEOUT));
        assertEquals("IllegalStateException: odd", DeliverySender.describe(new IllegalStateException("odd"), TIMEOUT));
    }
}
