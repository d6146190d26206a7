package com.proxyvault.agent.proxy;

import com.proxyvault.platform.net.HttpFraming;
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
 * <p>{@link ProtocolDetector.RequestHeadWatch} calls {@link #judge} on every decoded head and puts a failed request
 * carrying the {@link Refusal} in its place; {@link HttpProxyHandler} answers it in plain text and closes the connection.
 */
final class RequestFraming {

    private RequestFraming() {
    }

    /** {@link HttpFraming#judge}'s verdict on {@code request} as the agent's {@link Refusal}, or null when it is read as sent. */
    static Refusal judge(HttpRequest request) {
        HttpFraming.Verdict verdict = HttpFraming.judge(request);
        return verdict == null ? null : new Refusal(verdict);
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
