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
        assertTrue(policy.permits("example.com", ip("93.184.216.34")));
        assertTrue(policy.permits("2606:4700::1111", ip("2606:4700::1111")));
        assertFalse(policy.permits("127.0.0.1", ip("127.0.0.1")));
        assertFalse(policy.permits("localhost", ip("127.0.0.1")));
        assertFalse(policy.permits("rebinding.example", ip("10.0.0.1")));
        assertFalse(policy.permits("169.254.169.254", ip("169.254.169.254")));
        assertFalse(policy.permits("2002:7f00:1::", ip("2002:7f00:1::")));
    }

    @Test
    void shouldAllowListedHostNamesAndAddresses() throws UnknownHostException {
        OriginPolicy policy = OriginPolicy.allowing(List.of("127.0.0.1", " LocalHost ", ""));
        assertTrue(policy.permits("127.0.0.1", ip("127.0.0.1")));
        assertTrue(policy.permits("localhost", ip("127.0.0.1")));
        assertTrue(policy.permits("localhost.", ip("::1")), "a listed name is allowed whatever it resolves to");
        assertTrue(policy.permits("loopback.example", ip("127.0.0.1")), "a listed address is allowed under any name");
        assertFalse(policy.permits("127.0.0.2", ip("127.0.0.2")));
        assertFalse(policy.permits("::1", ip("::1")));
        assertFalse(policy.permits("internal.example", ip("10.0.0.1")));
    }

    @Test
    void shouldAllowListedCidrBlocks() throws UnknownHostException {
        OriginPolicy policy = OriginPolicy.allowing(List.of("10.1.0.0/16", "192.168.7.0/25", "fd00::/8", "[::1]"));
        assertTrue(policy.permits("a", ip("10.1.255.3")));
        assertFalse(policy.permits("a", ip("10.2.0.1")));
        assertTrue(policy.permits("a", ip("192.168.7.127")));
        assertFalse(policy.permits("a", ip("192.168.7.128")));
        assertTrue(policy.permits("a", ip("fd12::1")));
        assertFalse(policy.permits("a", ip("fe80::1")));
        assertTrue(policy.permits("a", ip("::1")));
        assertFalse(policy.permits("a", ip("127.0.0.1")));
    }

    @Test
    void shouldRefuseEntriesThatAreNeitherHostsNorAddressesNorBlocks() {
        for (String entry : new String[] {"10.0.0.0/33", "10.0.0.0/x", "fe80::1/129", "not-an-ip/8", "has space", "fe80::zz"}) {
            assertThrows(IllegalArgumentException.class, () -> OriginPolicy.allowing(List.of(entry)), entry);
        }
    }

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal); // literals only: no lookup
    }
}
