package com.proxyvault.gateway.edge;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.ContentLengthNotAllowedException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayList;
import java.util.List;

/**
 * Judges each request's HTTP version and body framing as soon as its head is decoded, before Vert.x sees it, and
 * refuses what the gateway cannot read safely (docs/api.md, "Request framing"):
 * <ul>
 *   <li>a version other than HTTP/1.0 and HTTP/1.1: 505 {@code http_version_not_supported}, answered in HTTP/1.1
 *       (RFC 9110 section 15.6.6; RFC 9112 section 2.3), and 400 {@code bad_request} for a version that is not spelled
 *       as RFC 9112 section 2.3 writes it ({@code http/1.1}, {@code HTTP/01.1});</li>
 *   <li>{@code Transfer-Encoding} in an HTTP/1.0 request (RFC 9112 section 6.1), not ending in {@code chunked}
 *       (section 6.3 item 4: the body's end is unknown), or naming {@code chunked} twice (section 6.1: applied once
 *       at most): 400 {@code bad_request};</li>
 *   <li>any transfer coding besides a final {@code chunked} ({@code gzip, chunked}): 501
 *       {@code unsupported_transfer_coding} (RFC 9112 section 6.1, RFC 9110 section 15.6.2);</li>
 *   <li>{@code Content-Length} beside {@code Transfer-Encoding}, which Netty's codec refuses itself: 400 naming why.</li>
 * </ul>
 * Netty's codec checks only part of this: it takes {@code chunked} anywhere in the list for a chunked body and judges
 * only the last header line, so {@code gzip} alone was read as an empty body and the body's bytes decoded as the
 * next request (request smuggling, new-user review 32, M4), and a version it does not know reached Vert.x, which
 * answered a bare 501 in the client's version (L1).
 *
 * <p>A refused request reaches Vert.x with a failed {@link DecoderResult} whose cause is a {@link Refusal}, so it goes
 * to the invalid-request handler ({@code EdgeServer.refuseUnparsable}), which answers with the error body and closes
 * the connection. Nothing after the refused head is passed on: with the framing in doubt, bytes that follow could be
 * the body or a request smuggled in it, and neither is read. A 501 closes too (decided): its chunked body could be
 * read to its end, but a client that sent a coding the API never takes gains nothing from keeping the connection.
 *
 * <p>One instance per connection, in the Netty pipeline between the HTTP codec and Vert.x' handler.
 */
final class RequestFraming extends ChannelInboundHandlerAdapter {

    /** The one transfer coding the gateway implements (RFC 9112 section 7.1). */
    private static final String CHUNKED = "chunked";

    /** Once a request is refused (by this class or by the codec), the rest of the connection is dropped. */
    private boolean discarding;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (discarding) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request) {
            Refusal refusal = judge(request);
            if (refusal != null) {
                if (refusal.answerInHttp11) {
                    // Vert.x answers in the request's version; a version it does not know is answered in 1.1 (RFC
                    // 9112 section 2.3: the highest version the server conforms to, not above the one received).
                    request.setProtocolVersion(HttpVersion.HTTP_1_1);
                }
                request.setDecoderResult(DecoderResult.failure(refusal));
            }
            discarding = !request.decoderResult().isSuccess();
        }
        super.channelRead(ctx, msg);
    }

    /**
     * Why {@code request} is refused, or null when it is read as sent (or refused by the codec for a reason not
     * judged here: a line or header block too long, a malformed header, answered as {@code EdgeServer} always did).
     * The version is judged first, even on a request the codec refused: it names the syntax of everything after it.
     */
    static Refusal judge(HttpRequest request) {
        Refusal refusal = judgeVersion(request.protocolVersion());
        if (refusal != null) {
            return refusal;
        }
        Throwable codecRefusal = request.decoderResult().cause();
        if (codecRefusal instanceof TransferEncodingNotAllowedException) {
            return transferEncodingInHttp10();
        }
        if (codecRefusal instanceof ContentLengthNotAllowedException) {
            return new Refusal(400, "bad_request", "Content-Length must not be sent beside Transfer-Encoding", false);
        }
        if (codecRefusal != null) {
            return null;
        }
        return judgeTransferEncoding(request.protocolVersion(), request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING));
    }

    /**
     * Null for HTTP/1.0 and HTTP/1.1 exactly as the codec reads them (the instances {@link HttpVersion#HTTP_1_0} and
     * {@link HttpVersion#HTTP_1_1}, which are also the only versions Vert.x serves); 505 for any other HTTP version
     * ({@code HTTP/2.0}, also the HTTP/2 preface {@code PRI * HTTP/2.0}; {@code HTTP/1.2} too: RFC 9110 section 2.5
     * suggests serving it as 1.1, but no such version exists and no client sends it, so it is refused rather than
     * guessed at); 400 for one that is not spelled {@code HTTP/d.d} (the codec upper-cases the name and drops leading
     * zeros, so {@code http/1.1} reaches here as an HTTP/1.1 that is not the instance).
     */
    static Refusal judgeVersion(HttpVersion version) {
        if (version == HttpVersion.HTTP_1_0 || version == HttpVersion.HTTP_1_1) {
            return null;
        }
        if (!version.protocolName().equals("HTTP") || version.equals(HttpVersion.HTTP_1_0) || version.equals(HttpVersion.HTTP_1_1)) {
            return new Refusal(400, "bad_request", "Malformed HTTP request", true);
        }
        // The device agent's wording for the same refusal (HttpProxyHandler).
        return new Refusal(505, "http_version_not_supported", "Only HTTP/1.0 and HTTP/1.1 are served", true);
    }

    /**
     * Why a request of {@code version} (1.0 or 1.1) with these {@code Transfer-Encoding} header lines cannot be read,
     * or null when it can: no such line, or the codings of all lines together (RFC 9110 section 5.3: a list field's
     * lines are one list, in order; empty elements are ignored, section 5.6.1; names compared ignoring case, RFC 9112
     * section 7) are exactly {@code chunked}. In order: HTTP/1.0 (400), a last coding that is not {@code chunked},
     * including an empty list (400), {@code chunked} more than once (400), any other coding (501 naming them).
     */
    static Refusal judgeTransferEncoding(HttpVersion version, List<String> lines) {
        if (lines.isEmpty()) {
            return null;
        }
        if (!HttpVersion.HTTP_1_1.equals(version)) {
            return transferEncodingInHttp10();
        }
        List<String> codings = new ArrayList<>();
        for (String line : lines) {
            for (String element : line.split(",")) {
                if (!element.isBlank()) {
                    codings.add(element.strip());
                }
            }
        }
        if (codings.isEmpty() || !codings.get(codings.size() - 1).equalsIgnoreCase(CHUNKED)) {
            return new Refusal(400, "bad_request",
                    "Transfer-Encoding must end with chunked: without it the body's end is unknown", false);
        }
        List<String> others = codings.subList(0, codings.size() - 1);
        if (others.stream().anyMatch(CHUNKED::equalsIgnoreCase)) {
            return new Refusal(400, "bad_request", "Transfer-Encoding must name chunked only once", false);
        }
        if (!others.isEmpty()) {
            return new Refusal(501, "unsupported_transfer_coding", "Transfer-Encoding " + String.join(", ", others)
                    + " is not supported: send the body with chunked alone, or with Content-Length", false);
        }
        return null;
    }

    private static Refusal transferEncodingInHttp10() {
        return new Refusal(400, "bad_request", "Transfer-Encoding is not allowed in an HTTP/1.0 request", false);
    }

    /**
     * A refused request's answer: {@code status}, the error body's {@code code} and {@code detail} (the message), and
     * whether the answer is written in HTTP/1.1 rather than in the request's version. Carried to Vert.x as the cause of
     * the request's failed {@link DecoderResult}; no stack trace, it is an answer, not an error.
     */
    static final class Refusal extends RuntimeException {

        final int status;
        final String code;
        final boolean answerInHttp11;

        Refusal(int status, String code, String detail, boolean answerInHttp11) {
            super(detail, null, false, false);
            this.status = status;
            this.code = code;
            this.answerInHttp11 = answerInHttp11;
        }
    }
}
