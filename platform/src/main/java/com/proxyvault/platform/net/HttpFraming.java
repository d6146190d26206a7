package com.proxyvault.platform.net;

import io.netty.handler.codec.http.ContentLengthNotAllowedException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;

import java.util.ArrayList;
import java.util.List;

/**
 * Which HTTP/1.x request heads a server of ours can read and re-frame safely, judged on the head Netty's codec decoded,
 * before a byte of the body is read: the one rule of the api-gateway's public port ({@code edge.RequestFraming},
 * docs/api.md "Request framing") and the device agent's HTTP proxy ({@code proxy.RequestFraming},
 * docs/device-agent.md "Request framing"). Each answers the {@link Verdict} in its own shape (the gateway's error
 * body, the agent's plain text) and closes the connection after it.
 * <ul>
 *   <li>a version other than HTTP/1.0 and HTTP/1.1 ({@code HTTP/2.0}, the HTTP/2 preface {@code PRI * HTTP/2.0},
 *       {@code HTTP/1.2}, {@code HTTP/0.9}): 505 {@code http_version_not_supported}, answered in HTTP/1.1 (RFC 9110
 *       section 15.6.6, RFC 9112 section 2.3); one not spelled {@code HTTP/d.d} ({@code http/1.1}): 400. Decided:
 *       {@code HTTP/1.2} is refused, although RFC 9110 section 2.5 suggests serving a higher minor version as 1.1: no
 *       such version exists and no client sends one;</li>
 *   <li>{@code Transfer-Encoding} in an HTTP/1.0 request (RFC 9112 section 6.1: faulty framing), whose last coding is
 *       not {@code chunked} (section 6.3 item 4: the body's end is unknown), or naming {@code chunked} twice (section
 *       6.1: applied once at most): 400 {@code bad_request};</li>
 *   <li>any transfer coding besides a final {@code chunked} ({@code gzip, chunked}): 501
 *       {@code unsupported_transfer_coding} (RFC 9112 section 6.1, RFC 9110 section 15.6.2): both servers decode
 *       chunked alone;</li>
 *   <li>{@code Content-Length} beside {@code Transfer-Encoding}, which Netty's codec refuses itself: 400 naming why.</li>
 * </ul>
 * Netty's codec checks only part of this: it takes {@code chunked} anywhere in the list for a chunked body and
 * otherwise reads the body as empty, so {@code Transfer-Encoding: gzip} made the body's bytes the next request on the
 * connection (request smuggling; new-user review, stop 32, M4).
 */
public final class HttpFraming {

    /** The one transfer coding our servers decode (RFC 9112 section 7.1). */
    private static final String CHUNKED = "chunked";
    /** The detail of a version not spelled {@code HTTP/d.d} as RFC 9112 section 2.3 writes it. */
    public static final String MISSPELLED_VERSION = "Malformed HTTP version: write HTTP/1.1 or HTTP/1.0";
    private static final Verdict TRANSFER_ENCODING_IN_HTTP_1_0 =
            badRequest("Transfer-Encoding is not allowed in an HTTP/1.0 request");

    private HttpFraming() {
    }

    /**
     * Why a request head cannot be read: its {@code status} (400, 501, 505), the error {@code code}, a {@code detail}
     * for the client, and whether the answer is written in HTTP/1.1 rather than in the request's version (a version not
     * served cannot frame it).
     */
    public record Verdict(int status, String code, String detail, boolean answerInHttp11) {
    }

    /**
     * Why {@code request} is refused, or null when it is read as sent (or refused by the codec for a reason not judged
     * here, such as a line too long or a malformed header: each server answers those as before). The version is judged
     * first, also on a request the codec refused: it names the syntax of everything after it.
     */
    public static Verdict judge(HttpRequest request) {
        Verdict version = judgeVersion(request.protocolVersion());
        if (version != null) {
            return version;
        }
        Throwable codecRefusal = request.decoderResult().cause();
        if (codecRefusal instanceof TransferEncodingNotAllowedException) {
            return TRANSFER_ENCODING_IN_HTTP_1_0;
        }
        if (codecRefusal instanceof ContentLengthNotAllowedException) {
            return badRequest("Content-Length must not be sent beside Transfer-Encoding");
        }
        if (codecRefusal != null) {
            return null;
        }
        return judgeTransferEncoding(request.protocolVersion(), request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING));
    }

    /**
     * Null for HTTP/1.0 and HTTP/1.1 as the codec reads them: exactly the instances {@link HttpVersion#HTTP_1_0} and
     * {@link HttpVersion#HTTP_1_1}. The codec upper-cases the protocol name, so {@code http/1.1} arrives as an equal but
     * other instance: 400 (RFC 9112 section 2.3 makes the name case-sensitive). Any other version: 505.
     */
    public static Verdict judgeVersion(HttpVersion version) {
        if (version == HttpVersion.HTTP_1_0 || version == HttpVersion.HTTP_1_1) {
            return null;
        }
        boolean misspelled = !"HTTP".equals(version.protocolName())
                || HttpVersion.HTTP_1_0.equals(version) || HttpVersion.HTTP_1_1.equals(version);
        return misspelled
                ? new Verdict(400, "bad_request", MISSPELLED_VERSION, true)
                : new Verdict(505, "http_version_not_supported", "Only HTTP/1.0 and HTTP/1.1 are served", true);
    }

    /**
     * Why a request of {@code version} (1.0 or 1.1) with these {@code Transfer-Encoding} field lines cannot be read, or
     * null when it can: no such line, or codings that are exactly one {@code chunked}. The lines form one list, in order
     * (RFC 9110 section 5.3), empty elements are ignored (section 5.6.1) and names compared ignoring case (RFC 9112
     * section 7). Judged in this order: HTTP/1.0 (400), a last coding that is not {@code chunked}, an empty list
     * included (400), {@code chunked} more than once (400), any other coding (501 naming them as sent).
     */
    public static Verdict judgeTransferEncoding(HttpVersion version, List<String> lines) {
        if (lines.isEmpty()) {
            return null;
        }
        if (!HttpVersion.HTTP_1_1.equals(version)) {
            return TRANSFER_ENCODING_IN_HTTP_1_0;
        }
        List<String> codings = new ArrayList<>();
        for (String line : lines) {
            for (String element : line.split(",")) {
                if (!element.isBlank()) {
                    codings.add(element.strip());
                }
            }
        }
        int last = codings.size() - 1;
        if (last < 0 || !CHUNKED.equalsIgnoreCase(codings.get(last))) {
            return badRequest("Transfer-Encoding must end with chunked: without it the body's end is unknown");
        }
        List<String> before = codings.subList(0, last);
        if (before.stream().anyMatch(CHUNKED::equalsIgnoreCase)) {
            return badRequest("Transfer-Encoding must name chunked only once");
        }
        if (!before.isEmpty()) {
            return new Verdict(501, "unsupported_transfer_coding", "Transfer-Encoding " + String.join(", ", before)
                    + " is not supported: send the body with chunked alone, or with Content-Length", false);
        }
        return null;
    }

    private static Verdict badRequest(String detail) {
        return new Verdict(400, "bad_request", detail, false);
    }
}
