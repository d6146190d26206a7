package com.proxyvault.agent.fingerprint;

import com.proxyvault.contracts.agent.v1.Fingerprint;

/**
 * The operating system a proxy's traffic should look like to the sites it reaches (p0f-style passive
 * fingerprinting of the SYN; docs/fleet.md "OS fingerprints"), and what the agent sets for it.
 *
 * <ul>
 *   <li>{@link #ttl()}: the IPv4 TTL / IPv6 hop limit the host's nftables rules give every packet leaving the
 *       modem (Linux and macOS start at 64, Windows at 128);</li>
 *   <li>{@link #mss()}: the MSS option written into every SYN (1460, what all three send on Ethernet-sized paths);</li>
 *   <li>{@link #originReceiveBufferBytes()}: {@code SO_RCVBUF} on each origin socket, which sets the window-scale
 *       option of its SYN (Linux: {@code ilog2(buffer) - 15}, measured on kernel 6.18 with {@code ss -tin}): 3 MiB →
 *       scale 6 (macOS), 6 MiB → 7 (Linux with its default {@code tcp_rmem}; a host that raised {@code tcp_rmem}
 *       would otherwise announce more, e.g. 10 for 32 MiB), 12 MiB → 8 (Windows). Takes effect only up to
 *       {@code net.core.rmem_max}, which the host must raise (docs/fleet.md).</li>
 * </ul>
 * {@link #NONE}: nothing is changed.
 */
public enum OsFingerprint {
    NONE(0, 0, 0),
    LINUX(64, 1460, 6 * 1024 * 1024),
    MACOS(64, 1460, 3 * 1024 * 1024),
    WINDOWS(128, 1460, 12 * 1024 * 1024);

    private final int ttl;
    private final int mss;
    private final int originReceiveBufferBytes;

    OsFingerprint(int ttl, int mss, int originReceiveBufferBytes) {
        this.ttl = ttl;
        this.mss = mss;
        this.originReceiveBufferBytes = originReceiveBufferBytes;
    }

    /** The initial TTL / hop limit, 0 for {@link #NONE}. */
    public int ttl() {
        return ttl;
    }

    /** The MSS option of a SYN in bytes, 0 for {@link #NONE}. */
    public int mss() {
        return mss;
    }

    /** {@code SO_RCVBUF} for origin sockets in bytes; 0 = the kernel's default. */
    public int originReceiveBufferBytes() {
        return originReceiveBufferBytes;
    }

    /** The protocol's value; one this agent does not know (a newer fleet) is {@link #NONE}. */
    public static OsFingerprint of(Fingerprint fingerprint) {
        return switch (fingerprint) {
            case FINGERPRINT_LINUX -> LINUX;
            case FINGERPRINT_MACOS -> MACOS;
            case FINGERPRINT_WINDOWS -> WINDOWS;
            default -> NONE;
        };
    }

    /** This profile as the protocol names it ({@code Fingerprint}), e.g. in a heartbeat's {@code ProxyTraffic}. */
    public Fingerprint protocolValue() {
        return switch (this) {
            case LINUX -> Fingerprint.FINGERPRINT_LINUX;
            case MACOS -> Fingerprint.FINGERPRINT_MACOS;
            case WINDOWS -> Fingerprint.FINGERPRINT_WINDOWS;
            case NONE -> Fingerprint.FINGERPRINT_NONE;
        };
    }

    /** The name a listener records ({@code NONE}, {@code WINDOWS} ...), back; anything else is {@link #NONE}. */
    public static OsFingerprint named(String name) {
        for (OsFingerprint fingerprint : values()) {
            if (fingerprint.name().equals(name)) {
                return fingerprint;
            }
        }
        return NONE;
    }
}
