package com.proxyvault.gateway.edge;

import com.proxyvault.platform.net.HttpFraming;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;


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
 * <p>A body the codec cannot decode after an accepted head (an invalid chunk size or chunk end, a chunk line ending
 * in a bare LF) fails only the body's part, which Vert.x turns into a closed connection without a word. This class
 * answers it instead: 400 {@code bad_request} "Malformed chunked request body" with the error body, then close
 * (new-user review, stop 33, L1; docs/api.md "Request framing"), unless an answer to that request was already
 * written (a 404 sent before the body was read), in which case it only closes.
 *
 * <p>A chunked body (no {@code Content-Length}, so its size is known only as it is read) is counted here, for every
 * route alike: once it passes the body limit ({@code EdgeConfig.maxBodyBytes}, 64 KiB) the request gets 413
 * {@code payload_too_large} with the error body, the rest of the body is read and dropped (up to
 * {@link #MAX_DRAIN_BYTES}, so the client is not reset before it reads the answer) and the connection is closed.
 * Before, the gateway's own resources (keys, {@code /v1/admin}) read such a body up to Quarkus' 1 MiB and then
 * answered a bare 413 without a body (new-user review, stop 34). A declared {@code Content-Length} over the limit is
 * refused earlier, by {@code EdgeRequests}, before the body is read. A request already answered before its body
 * was read (a GET or DELETE, which read no body) is not answered twice: its connection is closed once the body passes
 * the limit.
 *
 * <p>One instance per connection, in the Netty pipeline between the HTTP codec and Vert.x' handler.
 */
final class RequestFraming extends ChannelDuplexHandler {

    private static final byte[] MALFORMED_BODY =
            "{\"detail\":\"Malformed chunked request body\",\"code\":\"bad_request\"}".getBytes(StandardCharsets.UTF_8);
    /** How much of a chunked body past the limit is read and dropped before the close (as EdgeRequests does). */
    static final long MAX_DRAIN_BYTES = 4L * 1024 * 1024;

    /** The largest body, bytes ({@code EdgeConfig.maxBodyBytes}). */
    private final long maxBodyBytes;
    /** The current request's body is chunked (no declared length), and how many of its bytes were read so far. */
    private boolean countingBody;
    private long bodyBytes;
    /** This class answered the current request (413): Vert.x' answer to it, if any comes, is dropped. */
    private boolean answeredHere;
    /** Bytes of the refused body read and dropped so far. */
    private long drained;

    /** Once a request is refused (by this class or by the codec), the rest of the connection is dropped. */
    private boolean discarding;
    /** Request heads read on this connection, and final answers written (pipelined requests are answered in order). */
    private long requestsRead;
    private long answersWritten;
    /** Final answers whose head was written (an answer in progress counts: a second head would break it). */
    private long answersStarted;

    RequestFraming(long maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (answeredHere && !discarding) {
            drain(ctx, msg);
            return;
        }
        if (discarding) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof HttpRequest) && msg instanceof HttpContent content && content.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            discarding = true;
            refuseMalformedBody(ctx);
            return;
        }
        if (!(msg instanceof HttpRequest) && msg instanceof HttpContent content && countingBody) {
            bodyBytes += content.content().readableBytes();
            if (bodyBytes > maxBodyBytes) {
                refuseTooLarge(ctx);
                drain(ctx, msg);
                return;
            }
        }
        if (msg instanceof HttpRequest request) {
            requestsRead++;
            countingBody = !request.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                    && request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING);
            bodyBytes = 0;
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

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (answeredHere) {
            // the request was answered here (413): a second answer from Vert.x would be read as the next request's
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
            return;
        }
        if (msg instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
            answersStarted++;
        }
        // a final answer ends with its last content (a full response is one); a 100 Continue is not an answer
        if (msg instanceof LastHttpContent
                && !(msg instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL)) {
            answersWritten++;
        }
        super.write(ctx, msg, promise);
    }

    /**
     * The body of the request being read could not be decoded: 400 with the error body and close when that request has
     * no answer yet (every earlier one has), else close only (a second answer to one request would be read as the
     * answer to the next). Vert.x, which sees the connection close, drops the unfinished request.
     */
    private void refuseMalformedBody(ChannelHandlerContext ctx) {
        if (answersWritten != requestsRead - 1) {
            // flushed first: the answer already written may still wait in the outbound buffer, which a close drops
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        FullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
                Unpooled.wrappedBuffer(MALFORMED_BODY));
        answer.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, MALFORMED_BODY.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * The chunked body being read passed the limit: 413 with the error body and {@code Connection: close} when the
     * request has no answer yet (every earlier one has), else nothing is written (it was answered before its body was
     * read). Either way the rest of the body is dropped ({@link #drain}) and nothing more reaches Vert.x, whose
     * unfinished request ends with the connection.
     */
    private void refuseTooLarge(ChannelHandlerContext ctx) {
        boolean unanswered = answersStarted == requestsRead - 1;
        answeredHere = true;
        if (!unanswered) {
            return;
        }
        byte[] body = ("{\"detail\":\"Request body too large: at most " + maxBodyBytes + " bytes\",\"code\":\"payload_too_large\"}")
                .getBytes(StandardCharsets.UTF_8);
        FullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                Unpooled.wrappedBuffer(body));
        answer.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(answer);
    }

    /**
     * Drops {@code msg}, part of a body refused for its size, and closes the connection at the body's end or once
     * {@link #MAX_DRAIN_BYTES} were dropped: closing while the client still sends would reset the connection before
     * it read the 413.
     */
    private void drain(ChannelHandlerContext ctx, Object msg) {
        boolean last = msg instanceof LastHttpContent || msg instanceof HttpRequest;
        if (msg instanceof HttpContent content) {
            drained += content.content().readableBytes();
        }
        ReferenceCountUtil.release(msg);
        if (last || drained > MAX_DRAIN_BYTES) {
            discarding = true;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** {@link HttpFraming#judge}'s verdict on {@code request} as the gateway's {@link Refusal}, or null when it is read as sent. */
    static Refusal judge(HttpRequest request) {
        HttpFraming.Verdict verdict = HttpFraming.judge(request);
        return verdict == null ? null : new Refusal(verdict.status(), verdict.code(), verdict.detail(), verdict.answerInHttp11());
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
