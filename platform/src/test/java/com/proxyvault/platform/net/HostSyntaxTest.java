package com.proxyvault.platform.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostSyntaxTest {

    @ParameterizedTest
    @ValueSource(strings = {"0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "2130706433", "127.1", "127.0.1", "1.2.3.04",
            "256.0.0.1", "127.0.0.1.", "1.2.3.4.5", "example.0x1", "example.123", "0x", "00.0.0.0"})
    void shouldRefuseNonCanonicalIpv4Spellings(String host) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostSyntax.parse(host));
        assertTrue(e.getMessage().contains("non-canonical IPv4"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"127.0.0.1,7f000001", "0.0.0.0,00000000", "255.255.255.255,ffffffff", "93.184.216.34,5db8d822"})
    void shouldReadCanonicalDottedQuads(String host, String hex) {
        HostSyntax.Host parsed = HostSyntax.parse(host);
        assertEquals(HostSyntax.Kind.IPV4, parsed.kind());
        assertArrayEquals(HexFormat.of().parseHex(hex), parsed.address());
    }

    @ParameterizedTest
    @ValueSource(strings = {"::", "::1", "1::", "2606:4700::1111", "::ffff:127.0.0.1", "64:ff9b::8.8.8.8",
            "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "fe80::1", "FD00:EC2::254"})
    void shouldReadIpv6TextLikeTheJdkButKeepMappedAddressesAsIpv6(String text) throws Exception {
        byte[] ours = HostSyntax.parseIpv6(text);
        byte[] jdk = InetAddress.getByName(text).getAddress();
        if (jdk.length == 4) { // the JDK folds ::ffff:a.b.c.d into IPv4; we keep the 16 bytes
            assertEquals(16, ours.length);
            assertArrayEquals(jdk, java.util.Arrays.copyOfRange(ours, 12, 16));
        } else {
            assertArrayEquals(jdk, ours, text);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ":", ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
            "1::2:3:4:5:6:7:8", "fe80::1%eth0", "::ffff:127.0.0.01", "::1.2.3.4:1", "g::1"})
    void shouldRefuseMalformedIpv6Text(String text) {
        assertNull(HostSyntax.parseIpv6(text), text);
    }

    @Test
    void shouldAcceptDnsNamesAndDropTheTrailingDot() {
        HostSyntax.Host host = HostSyntax.parse("Hooks.Example.COM.");
        assertEquals(HostSyntax.Kind.DNS_NAME, host.kind());
        assertEquals("hooks.example.com", host.name());
        assertEquals(HostSyntax.Kind.DNS_NAME, HostSyntax.parse("1.2.3.4.nip.io").kind());
        assertEquals(HostSyntax.Kind.DNS_NAME, HostSyntax.parse("xn--bcher-kva.example").kind());
        assertThrows(IllegalArgumentException.class, () -> HostSyntax.parse("bücher.example"));
        assertThrows(IllegalArgumentException.class, () -> HostSyntax.parse("a..b"));
        assertThrows(IllegalArgumentException.class, () -> HostSyntax.parse("-a.example"));
    }

    @Test
    void shouldBlockTheWholeMappedFamilyOnlyWhenJudgedOnRawBytes() {
        byte[] mappedPublic = HostSyntax.parseIpv6("::ffff:8.8.8.8");
        assertEquals("IPv4-mapped IPv6", BlockedAddresses.reason(mappedPublic));
        assertEquals("IPv4-translated IPv6", BlockedAddresses.reason(HostSyntax.parseIpv6("::ffff:0:8.8.8.8")));
        assertEquals("documentation (TEST-NET-1)", BlockedAddresses.reason(HostSyntax.parseCanonicalIpv4("192.0.2.1")));
        assertEquals("6to4 of loopback", BlockedAddresses.reason(HostSyntax.parseIpv6("2002:7f00:1::")));
        assertNull(BlockedAddresses.reason(HostSyntax.parseIpv6("2002:808:808::1")));
        assertEquals("not an IP address", BlockedAddresses.reason(new byte[5]));
    }
}
