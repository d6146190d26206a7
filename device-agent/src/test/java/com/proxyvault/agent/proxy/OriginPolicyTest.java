package com.proxyvault.agent.proxy;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OriginPolicyTest {

    @Test
    void shouldAllowOnlyPublicAddressesByDefault() throws UnknownHostException {
        OriginPolicy policy = OriginPolicy.publicOnly();
        assertTrue(policy.permits("example.com", 443, ip("93.184.216.34")));
        assertTrue(policy.permits("2606:4700::1111", 80, ip("2606:4700::1111")));
        assertFalse(policy.permits("127.0.0.1", 18080, ip("127.0.0.1")));
        assertFalse(policy.permits("localhost", 18080, ip("127.0.0.1")));
        assertFalse(policy.permits("rebinding.example", 80, ip("10.0.0.1")));
        assertFalse(policy.permits("169.254.169.254", 80, ip("169.254.169.254")));
        assertFalse(policy.permits("2002:7f00:1::", 80, ip("2002:7f00:1::")));
    }

    @Test
    void shouldAllowListedOriginsOnlyOnTheirPorts() throws UnknownHostException {
        OriginPolicy policy = OriginPolicy.allowing(List.of("127.0.0.1:18080", " LocalHost:18081 ", "[::1]:18082", ""));
        assertTrue(policy.permits("127.0.0.1", 18080, ip("127.0.0.1")));
        assertTrue(policy.permits("loopback.example", 18080, ip("127.0.0.1")), "a listed address is allowed under any name");
        assertFalse(policy.permits("127.0.0.1", 18081, ip("127.0.0.1")), "another port of a listed address is not");
        assertFalse(policy.permits("127.0.0.1", 5432, ip("127.0.0.1")));
        assertTrue(policy.permits("localhost", 18081, ip("127.0.0.1")));
        assertTrue(policy.permits("localhost.", 18081, ip("::1")), "a listed name is allowed whatever it resolves to");
        assertFalse(policy.permits("localhost", 18080, ip("::1")), "a listed name on another port is not");
        assertTrue(policy.permits("::1", 18082, ip("::1")));
        assertFalse(policy.permits("::1", 18080, ip("::1")));
        assertFalse(policy.permits("127.0.0.2", 18080, ip("127.0.0.2")));
        assertFalse(policy.permits("internal.example", 18080, ip("10.0.0.1")));
    }

    @Test
    void shouldRefuseEntriesThatAreNotOneHostAndPort() {
        for (String entry : new String[] {"127.0.0.1", "localhost", "10.0.0.0/8", "10.0.0.0/8:80", "::1", "[::1]",
                "::1:80", "fe80::1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", ":80", "has space:80",
                "[fe80::zz]:80", "[localhost]:80"}) {
            assertThrows(IllegalArgumentException.class, () -> OriginPolicy.allowing(List.of(entry)), entry);
        }
    }

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal); // literals only: no lookup
    }
}
