package com.proxyvault.agent.proxy;

import java.time.Duration;

/**
 * Limits and timeouts of the customer side of every proxy listener.
 *
 * @param maxRequestLineBytes longest HTTP request line accepted, in bytes as sent: method, target and version
 *                            with their spaces, not the CRLF (RFC 9112 3); longer → {@code 414 URI Too Long}
 *                            (RFC 9110 15.5.15) and the connection closes. At least 8 KiB (RFC 9112 3 recommends
 *                            supporting request lines of 8000 octets); default 64 KiB like squid
 * @param maxHeaderBytes      largest HTTP header block accepted, in bytes as sent: every field line with its CRLF
 *                            (RFC 9112 2.1), not the request line nor the empty line that ends the head; larger →
 *                            {@code 431 Request Header Fields Too Large} (RFC 6585 5) and the connection closes.
 *                            At least 8 KiB (issue 8); counted exactly by {@code ProtocolDetector.RequestHeadWatch}
 * @param requestHeadTimeout  how long a client may take, from connecting or from the end of the previous
 *                            answer, to send a complete HTTP request head or to finish the SOCKS5 handshake
 *                            (greeting, authentication and command); past it the connection is closed
 *                            without an answer (a half-sent request line is not worth one). Also the longest a
 *                            CONNECT/SOCKS tunnel may pass no byte once its customer has sent FIN (the answer
 *                            must keep coming; see {@link ConnectionTimeouts})
 * @param idleTimeout         how long a connection (a keep-alive wait, a CONNECT/SOCKS tunnel, a response
 *                            being relayed) may pass no byte in either direction before it is closed
 */
public record ProxySettings(int maxRequestLineBytes, int maxHeaderBytes, Duration requestHeadTimeout, Duration idleTimeout) {

    /** RFC 9112 section 3: a server should support request lines of at least 8000 octets. */
    public static final int MIN_REQUEST_LINE_BYTES = 8 * 1024;

    public static final ProxySettings DEFAULTS = new ProxySettings(64 * 1024, 64 * 1024, Duration.ofSeconds(30), Duration.ofMinutes(5));

    public ProxySettings {
        if (maxRequestLineBytes < MIN_REQUEST_LINE_BYTES) {
            throw new IllegalArgumentException("max request line must be at least " + MIN_REQUEST_LINE_BYTES + " bytes, got " + maxRequestLineBytes);
        }
        if (maxHeaderBytes < MIN_REQUEST_LINE_BYTES) {
            throw new IllegalArgumentException("max header block must be at least " + MIN_REQUEST_LINE_BYTES + " bytes, got " + maxHeaderBytes);
        }
        if (requestHeadTimeout.isNegative() || requestHeadTimeout.isZero() || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    public ProxySettings withTimeouts(Duration requestHead, Duration idle) {
        return new ProxySettings(maxRequestLineBytes, maxHeaderBytes, requestHead, idle);
    }
}
