package com.proxyvault.platform.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Turns a DNS name into every address it currently has. The SSRF checks take one so that tests can
 * decide what a name resolves to (a public name that later answers with a private address: DNS
 * rebinding) without a DNS server; production uses {@link #SYSTEM}.
 */
@FunctionalInterface
public interface HostResolver {

    /** The JVM's resolver ({@link InetAddress#getAllByName}); blocking. */
    HostResolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

    /**
     * Every address of {@code host}, never empty. BLOCKING: call it off an event loop.
     *
     * @throws UnknownHostException when the name has no address
     */
    List<InetAddress> resolve(String host) throws UnknownHostException;
}
