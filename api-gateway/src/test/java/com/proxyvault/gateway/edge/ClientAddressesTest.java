package com.proxyvault.gateway.edge;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ClientAddressesTest {

    private final ClientAddresses behindIngress = new ClientAddresses(List.of("10.0.0.0/8", "fd00::/8"));

    @Test
    void shouldTakeThePeerWhenNothingIsTrusted() {
        assertEquals("10.1.2.3", new ClientAddresses(List.of()).resolve("10.1.2.3", List.of("198.51.100.7")));
    }

    @Test
    void shouldTakeThePeerWhenThePeerIsNotATrustedProxy() {
        // a client reaching the port directly cannot name someone else
        assertEquals("198.51.100.9", behindIngress.resolve("198.51.100.9", List.of("203.0.113.1")));
    }

    @Test
    void shouldTakeTheRightMostUntrustedForwardedAddress() {
        assertEquals("198.51.100.7", behindIngress.resolve("10.1.2.3", List.of("198.51.100.7")));
        // the left entries are the client's own claims; 10.9.9.9 is a second trusted hop
        assertEquals("198.51.100.7", behindIngress.resolve("10.1.2.3", List.of("203.0.113.1, 198.51.100.7 ,10.9.9.9")));
        assertEquals("198.51.100.7", behindIngress.resolve("10.1.2.3", List.of("203.0.113.1", "198.51.100.7, 10.9.9.9")));
        assertEquals("2001:db8:0:0:0:0:0:7", behindIngress.resolve("fd00::1", List.of("2001:db8::7")));
    }

    @Test
    void shouldStopAtTheTrustedHopThatWroteAnEntryThatIsNotAnAddress() {
        assertEquals("10.9.9.9", behindIngress.resolve("10.1.2.3", List.of("198.51.100.7, unknown, 10.9.9.9")));
        assertEquals("10.1.2.3", behindIngress.resolve("10.1.2.3", List.of("evil.example")));
    }

    @Test
    void shouldTakeTheLastTrustedHopWhenEveryEntryIsTrusted() {
        assertEquals("10.0.0.5", behindIngress.resolve("10.1.2.3", List.of("10.0.0.5")));
        assertEquals("10.1.2.3", behindIngress.resolve("10.1.2.3", List.of()));
    }

    @Test
    void shouldRefuseABlockThatIsNotAnAddressOrCidr() {
        assertThrows(IllegalArgumentException.class, () -> new ClientAddresses(List.of("ingress")));
        assertThrows(IllegalArgumentException.class, () -> new ClientAddresses(List.of("10.0.0.0/33")));
        assertThrows(IllegalArgumentException.class, () -> new ClientAddresses(List.of("10.0.0.0/x")));
    }
}
