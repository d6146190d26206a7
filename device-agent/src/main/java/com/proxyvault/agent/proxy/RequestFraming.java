package com.proxyvault.agent.proxy;

import com.proxyvault.platform.net.HttpFraming;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Which customer requests the HTTP proxy can read and re-frame safely, judged on the decoded head alone, before a
 * byte of the body is read or anything is forwarded: {@link HttpFraming}'s rule, the api-gateway's too
 * (docs/device-agent.md "Request framing"). The agent forwards every request body whole, with {@code Content-Length}
 * (RFC 9112 section 6.3 item 3: an intermediary decodes the transfer codings before forwarding), and decodes chunked
 * alone, so any other coding is refused (501) rather than passed through with a framing toward the origin the agent
 * cannot check. Found by a new user (review stop 32): with {@code Transfer-Encoding: gzip} the body's bytes were
 * decoded as the customer's next request and forwarded, and {@code HTTP/1.2} or {@code http/1.1} was served as
 * HTTP/1.1.
 *
 * <p>One rule of the agent's own, as the gateway serves no CONNECT: <b>a CONNECT carries no content</b> (RFC 9110
 * section 9.3.6), so a {@code Transfer-Encoding} or a {@code Content-Length} other than 0 on one is framing that
 * contradicts its method: 400, then close. Netty's codec read such a "body" and the aggregator dropped it, so with
 * {@code Content-Length: 5} the first five tunnel bytes were lost and a request behind them reached the origin; a
 * client or front proxy that reads the CONNECT as bodyless disagrees with that about where the tunnel starts.
 * {@code Content-Length: 0} is accepted: it says what the method does, both readings agree.
 *
 * <p>{@link ProtocolDetector.RequestHeadWatch} calls {@link #judge} on every decoded head and puts a failed request
 * carrying the {@link Refusal} in its place; {@link HttpProxyHandler} answers it in plain text and closes the connection.
 */
final class RequestFraming {

    private static final HttpFraming.Verdict CONNECT_WITH_TRANSFER_ENCODING = new HttpFraming.Verdict(400, "bad_request",
            "A CONNECT request has no content: Transfer-Encoding is not allowed", false);
    private static final HttpFraming.Verdict CONNECT_WITH_CONTENT_LENGTH = new HttpFraming.Verdict(400, "bad_request",
            "A CONNECT request has no content: Content-Length must be 0 or absent", false);

    private RequestFraming() {
    }

    /**
     * {@link HttpFraming#judge}'s verdict on {@code request} as the agent's {@link Refusal}, or null when it is read as
     * sent; before it, for a CONNECT the codec read and whose version is served, the CONNECT rule above (so that
     * {@code Transfer-Encoding: gzip} on a CONNECT is the 400 of a method without content, not the 501 of a coding).
     * Every other request pays one method comparison.
     */
    static Refusal judge(HttpRequest request) {
        if (HttpMethod.CONNECT.equals(request.method()) && request.decoderResult().isSuccess()
                && HttpFraming.judgeVersion(request.protocolVersion()) == null) {
            HttpFraming.Verdict content = connectContent(request.headers());
            if (content != null) {
                return new Refusal(content);
            }
        }
        HttpFraming.Verdict verdict = HttpFraming.judge(request);
        return verdict == null ? null : new Refusal(verdict);
    }

    /**
     * Why a CONNECT's framing fields say it has content, or null. The codec has refused a repeated, listed or invalid
     * {@code Content-Length} already, so the one value left is digits.
     */
    private static HttpFraming.Verdict connectContent(HttpHeaders headers) {
        if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return CONNECT_WITH_TRANSFER_ENCODING;
        }
        String length = headers.get(HttpHeaderNames.CONTENT_LENGTH);
        if (length == null) {
            return null;
        }
        try {
            return Long.parseLong(length) == 0 ? null : CONNECT_WITH_CONTENT_LENGTH;
        } catch (NumberFormatException unreadable) {
            return CONNECT_WITH_CONTENT_LENGTH; // never reached while the codec checks the field; refused if it stops
        }
    }

    /**
     * A refused request's answer: its {@code status}, the plain-text message (the exception's message, the verdict's
     * detail), and whether it is written in HTTP/1.1 rather than in the request's version. Carried to
     * {@link HttpProxyHandler} as the cause of the request's failed decoder result; no stack trace, it is an answer,
     * not an error. The connection is always closed after it.
     */
    static final class Refusal extends RuntimeException {

        final HttpResponseStatus status;
        final boolean answerInHttp11;

        Refusal(HttpFraming.Verdict verdict) {
            super(verdict.detail(), null, false, false);
            this.status = HttpResponseStatus.valueOf(verdict.status());
            this.answerInHttp11 = verdict.answerInHttp11();
        }
    }
}
