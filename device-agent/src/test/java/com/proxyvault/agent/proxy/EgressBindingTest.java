package com.proxyvault.agent.proxy;

import com.proxyvault.agent.modems.ModemDriver;
import com.proxyvault.agent.modems.ModemSpec;
import com.proxyvault.agent.modems.ResetMode;
import com.proxyvault.agent.modems.SimulatedModemDriver;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static com.proxyvault.agent.proxy.RawHttpClient.basic;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Origin connections leave from the address the modem driver names (on a modem host: the bearer's
 * address, which policy routing sends out of the modem's interface). On loopback, 127.0.0.2 stands in
 * for it: the origin sees that address for HTTP and SOCKS5 traffic alike.
 */
class EgressBindingTest {

    /** A modem whose traffic must leave from 127.0.0.2 (a ModemManager modem gives its bearer address). */
    private static final class BoundModem implements ModemDriver {
        private final SimulatedModemDriver simulated = new SimulatedModemDriver(new ModemSpec("bound-1", "LAX", false, "203.0.113.50"));

        @Override public String modemId() { return simulated.modemId(); }
        @Override public String locationId() { return simulated.locationId(); }
        @Override public boolean is5g() { return false; }
        @Override public boolean online() { return true; }
        @Override public String exitIp() { return simulated.exitIp(); }
        @Override public CompletionStage<String> resetIp(ResetMode mode) { return simulated.resetIp(mode); }

        @Override
        public Optional<InetAddress> egressBindAddress() {
            return Optional.of(addressOf("127.0.0.2"));
        }

        private static InetAddress addressOf(String literal) {
            try {
                return InetAddress.getByName(literal);
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void shouldConnectToOriginsFromTheModemsAddress() throws Exception {
        try (ProxyEventLoop eventLoop = new ProxyEventLoop(); TestOrigin origin = new TestOrigin()) {
            ProxyListeners listeners = new ProxyListeners(eventLoop, "127.0.0.1", OriginPolicy.allowing(List.of(origin.authority())));
            int port = ListenerFixture.freePort();
            listeners.open(new ProxyAssignment(1, port, new ProxyCredentials("u", "p"), new BoundModem())).get(10, TimeUnit.SECONDS);
            try {
                try (RawHttpClient client = new RawHttpClient(port)) {
                    assertEquals(200, client.send("GET http://" + origin.authority() + "/ HTTP/1.1\r\nHost: " + origin.authority()
                            + "\r\nProxy-Authorization: " + basic("u", "p") + "\r\n\r\n").readResponse().status());
                }
                try (Socks5Client socks = new Socks5Client(port)) {
                    socks.greet(0x02);
                    socks.authenticate("u", "p");
                    assertEquals(0, socks.connectIpv4(new byte[] {127, 0, 0, 1}, origin.port()));
                    socks.send("GET /socks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                    socks.readToEnd();
                }
                assertEquals(2, origin.received().size());
                origin.received().forEach(request -> assertEquals("127.0.0.2", request.remoteAddress()));
            } finally {
                listeners.closeAll();
            }
        }
    }
}
