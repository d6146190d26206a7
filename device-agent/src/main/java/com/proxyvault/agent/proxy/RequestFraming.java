package com.proxyvault.agent.proxy;

import io.netty.handler.codec.http.ContentLengthNotAllowedException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;

import java.util.Arrays;
import java.util.List;

/**
 * Which customer requests the HTTP proxy can read and re-frame safely, judged on the decoded head alone, before a
 * byte of the body is read or anything is forwarded (docs/device-agent.md, "Request framing"):
 * <ul>
 *   <li>a version other than HTTP/1.0 and HTTP/1.1 ({@code HTTP/2.0}, the HTTP/2 preface {@code PRI * HTTP/2.0},
 *       {@code HTTP/1.2}, {@code HTTP/0.9}): 505, answered in HTTP/1.1 (RFC 9110 section 15.6.6, RFC 9112 section
 *       2.3); a version not spelled {@code HTTP/d.d} ({@code http/1.1}): 400;</li>
 *   <li>{@code Transfer-Encoding} in an HTTP/1.0 request (RFC 9112 section 6.1: faulty framing), whose last coding is
 *       not {@code chunked} (section 6.3 item 4: the body's end is unknown), or naming {@code chunked} twice (section
 *       6.1: applied once at most): 400;</li>
 *   <li>any transfer coding besides a final {@code chunked} ({@code gzip, chunked}): 501 (RFC 9112 section 6.1, RFC
 *       9110 section 15.6.2). The agent forwards every request body whole, with {@code Content-Length} (RFC 9112
 *       section 6.3 item 3: an intermediary decodes the transfer codings before forwarding), and it decodes chunked
 *       alone; passing a coding through undecoded would need a framing toward the origin the agent cannot check;</li>
 *   <li>{@code Content-Length} beside {@code Transfer-Encoding}, which Netty's codec refuses itself: 400 naming why.</li>
 * </ul>
 * Netty's codec checks only part of this: it takes {@code chunked} anywhere in the list for a chunked body and
 * otherwise reads a request's body as empty, so with {@code Transfer-Encoding: gzip} the body's bytes were decoded as
 * the customer's next request and forwarded (request smuggling), and {@code HTTP/1.2} or {@code http/1.1} was served
 * as HTTP/1.1. The rules and wording are the api-gateway's ({@code edge.RequestFraming}, docs/api.md "Request
 * framing"), restated here: the agent answers in plain text, without the gateway's error codes.
 *
 * <p>{@link ProtocolDetector.RequestHeadWatch} calls {@link #judge} on every decoded head and puts a failed request
 * carrying the {@link Refusal} in its place; {@link HttpProxyHandler} answers it and closes the connection.
 */
final class RequestFraming {

    /** The one transfer coding the agent decodes (RFC 9112 section 7.1). */
    private static final String CHUNKED = "chunked";
    private static final String TRANSFER_ENCODING_IN_HTTP_1_0 = "Transfer-Encoding is not allowed in an HTTP/1.0 request";

    private RequestFraming() {
    }

    /**
     * Why {@code request} is refused, or null when it is read as sent (or refused by the codec for a reason not judged
     * here, such as a line too long or a malformed header: answered as before). The version is judged first, also on
     * a request the codec refused: it names the syntax of everything after it.
     */
    static Refusal judge(HttpRequest request) {
        Refusal version = judgeVersion(request.protocolVersion());
        if (version != null) {
            return version;
        }
        Throwable codecRefusal = request.decoderResult().cause();
        if (codecRefusal instanceof TransferEncodingNotAllowedException) {
            return Refusal.badRequest(TRANSFER_ENCODING_IN_HTTP_1_0);
        }
        if (codecRefusal instanceof ContentLengthNotAllowedException) {
            return Refusal.badRequest("Content-Length must not be sent beside Transfer-Encoding");
        }
        if (codecRefusal != null) {
            return null;
        }
        return judgeTransferEncoding(request.protocolVersion(), request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING));
    }

    /**
     * Null for HTTP/1.0 and HTTP/1.1 as the codec reads them: exactly the instances {@link HttpVersion#HTTP_1_0} and
     * {@link HttpVersion#HTTP_1_1}. The codec upper-cases the protocol name, so {@code http/1.1} arrives as an equal but
     * other instance: 400, RFC 9112 section 2.3 makes the name case-sensitive (a number of two digits,
     * {@code HTTP/01.1}, the codec refuses itself). Any other version is 505, {@code HTTP/1.2} included: RFC 9110
     * section 2.5 suggests serving a higher minor version as 1.1, but no HTTP/1.2 exists and no client sends one, so it
     * is refused rather than guessed at (as the gateway does).
     */
    static Refusal judgeVersion(HttpVersion version) {
        if (version == HttpVersion.HTTP_1_0 || version == HttpVersion.HTTP_1_1) {
            return null;
        }
        boolean misspelled = !"HTTP".equals(version.protocolName())
                || HttpVersion.HTTP_1_0.equals(version) || HttpVersion.HTTP_1_1.equals(version);
        return misspelled
                ? new Refusal(HttpResponseStatus.BAD_REQUEST, "Malformed request", true)
                : new Refusal(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "Only HTTP/1.0 and HTTP/1.1 are served", true);
    }

    /**
     * Why a request of {@code version} (1.0 or 1.1) with these {@code Transfer-Encoding} field lines cannot be read,
     * or null when it can: no such line, or codings that are exactly one {@code chunked}. The lines form one list, in
     * order (RFC 9110 section 5.3), empty elements are ignored (section 5.6.1) and names compared ignoring case (RFC
     * 9112 section 7). Judged in this order: HTTP/1.0 (400), a last coding that is not {@code chunked}, an empty list
     * included (400), {@code chunked} more than once (400), any other coding (501 naming them as sent).
     */
    static Refusal judgeTransferEncoding(HttpVersion version, List<String> lines) {
        if (lines.isEmpty()) {
            return null;
        }
        if (!HttpVersion.HTTP_1_1.equals(version)) {
            return Refusal.badRequest(TRANSFER_ENCODING_IN_HTTP_1_0);
        }
        List<String> codings = lines.stream()
                .flatMap(line -> Arrays.stream(line.split(",")))
                .map(String::strip)
                .filter(coding -> !coding.isEmpty())
                .toList();
        int last = codings.size() - 1;
        if (last < 0 || !CHUNKED.equalsIgnoreCase(codings.get(last))) {
            return Refusal.badRequest("Transfer-Encoding must end with chunked: without it the body's end is unknown");
        }
        List<String> before = codings.subList(0, last);
        if (before.stream().anyMatch(CHUNKED::equalsIgnoreCase)) {
            return Refusal.badRequest("Transfer-Encoding must name chunked only once");
        }
        if (!before.isEmpty()) {
            return new Refusal(HttpResponseStatus.NOT_IMPLEMENTED, "Transfer-Encoding " + String.join(", ", before)
                    + " is not supported: send the body with chunked alone, or with Content-Length", false);
        }
        return null;
    }

    /**
     * A refused request's answer: its {@code status}, the plain-text message (the exception's message), and whether
     * it is written in HTTP/1.1 rather than in the request's version (a version the agent does not serve cannot frame
     * the answer). Carried to {@link HttpProxyHandler} as the cause of the request's failed decoder result; no stack
     * trace, it is an answer, not an error. The connection is always closed after it.
     */
    static final class Refusal extends RuntimeException {

        final HttpResponseStatus status;
        final boolean answerInHttp11;

        Refusal(HttpResponseStatus status, String message, boolean answerInHttp11) {
            super(message, null, false, false);
            this.status = status;
            this.answerInHttp11 = answerInHttp11;
        }

        static Refusal badRequest(String message) {
            return new Refusal(HttpResponseStatus.BAD_REQUEST, message, false);
        }
    }
}
