package com.proxyvault.platform.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.UnknownHostException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockedAddressesTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
            "169.254.169.254", "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255", "192.0.0.8",
            "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3",
            "64:ff9b::a9fe:a9fe", "192.0.2.1", "198.51.100.7", "203.0.113.11", "192.88.99.1", "198.19.1.1",
            "64:ff9b::808:808", "64:ff9b:1::1", "100::1", "2001:2::1", "2001:10::1", "3fff::1", "fec0::1", "ff02::1"})
    void shouldBlockNonPublicAddresses(String address) throws UnknownHostException {
        assertTrue(BlockedAddresses.isBlocked(InetAddress.getByName(address)), address);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "2002:7f00:1::", "2002:7f00:0001:0:0:0:0:1", // 6to4 of 127.0.0.1
            "2002:a00:1::1",                             // 6to4 of 10.0.0.1
            "2002:a9fe:a9fe::",                          // 6to4 of 169.254.169.254
            "2002:c0a8:101::",                           // 6to4 of 192.168.1.1
            "2002::",                                    // 6to4 of 0.0.0.0
            "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo 2001::/32
            "2001:db8::1", "2001:db8:ffff::"})           // documentation 2001:db8::/32
    void shouldBlockTunnelAndDocumentationForms(String address) throws UnknownHostException {
        assertTrue(BlockedAddresses.isBlocked(InetAddress.getByName(address)), address);
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
            "::ffff:93.184.216.34", "2002:808:808::1", "2001:4860:4860::8888", "2001:200::1", "2001:db9::1"})
    void shouldAllowPublicAddresses(String address) throws UnknownHostException {
        assertFalse(BlockedAddresses.isBlocked(InetAddress.getByName(address)), address);
    }

    @Test
    void shouldBlockTheCloudMetadataEndpoint() throws UnknownHostException {
        assertTrue(BlockedAddresses.isBlocked(InetAddress.getByName("169.254.169.254")));
    }
}
