package com.proxyvault.agent.proxy;

import com.proxyvault.agent.link.FakeFleetResource;
import com.proxyvault.agent.link.TestOriginResource;
import com.proxyvault.agent.modems.Modems;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static com.proxyvault.agent.proxy.RawHttpClient.basic;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's proxies at shutdown. Quarkus fires {@link ShutdownEvent} before it destroys any bean, and only then is
 * the order of {@code @PreDestroy}s of {@link ProxyListeners} and {@link ProxyEventLoop} open: closing the listeners
 * from {@code @PreDestroy} alone met a terminated loop (two ERROR stack traces and a 5 s wait on every SIGTERM with a
 * proxy connection open; new-user review 5, finding 7). So the listeners must already be closed once the event has
 * been delivered, with the loop untouched.
 *
 * <p>The event is fired here through CDI, to every observer, as Quarkus does. That stops this app's link to the fleet
 * too, which is why the class has its test resources of its own ({@code @WithTestResource} restricts them to the
 * class, so Quarkus starts an app for it alone) and only one test.
 */
@QuarkusTest
@WithTestResource(FakeFleetResource.class)
@WithTestResource(TestOriginResource.class)
class ShutdownTest {

    @TestOriginResource.InjectTestOrigin
    TestOrigin origin;

    @Inject
    ProxyListeners listeners;

    @Inject
    ProxyEventLoop eventLoop;

    @Inject
    Modems modems;

    @Inject
    Event<ShutdownEvent> shutdown;

    @Test
    void shouldCloseEveryProxyListenerAndItsOpenConnectionsWhenQuarkusShutsDown() throws Exception {
        int port = ListenerFixture.freePort();
        ProxyAssignment assignment = new ProxyAssignment(601, port, new ProxyCredentials("cust-601", "pw-601"),
                modems.find("lax-1").orElseThrow());
        listeners.open(assignment).get(10, TimeUnit.SECONDS);

        try (RawHttpClient customer = new RawHttpClient(port)) {
            // A tunnel the agent has answered: the connection is accepted and served, not just queued by the kernel.
            customer.send("CONNECT " + origin.authority() + " HTTP/1.1\r\nHost: " + origin.authority() + "\r\n"
                    + "Proxy-Authorization: " + basic("cust-601", "pw-601") + "\r\n\r\n");
            assertEquals(200, customer.readResponse().status());

            shutdown.fire(new ShutdownEvent());

            assertTrue(listeners.served().isEmpty(), "no proxy is served once the shutdown event is delivered");
            assertTrue(closedByTheAgent(customer), "the open tunnel is closed, not left to the process's end");
            // The kernel may still complete a handshake queued just before the close, so wait for the refusal.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close()));
            assertFalse(eventLoop.group().isShuttingDown(),
                    "the listeners close before the event loop goes: it is what closes them");
        }
    }

    /** True when the next read ends the stream (FIN or RST); RawHttpClient's read timeout bounds the wait. */
    private static boolean closedByTheAgent(RawHttpClient customer) throws Exception {
        try {
            return customer.read() == -1;
        } catch (SocketException reset) {
            return true;
        }
    }
}
