package com.proxyvault.agent.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderResult;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMessageDecoderResult;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * First handler of every customer connection: looks at the first byte and installs the pipeline
 * for the protocol the customer speaks, then steps aside (the bytes it buffered go on to the new
 * handlers). One port so serves both protocols: 0x05 is the SOCKS5 version byte (RFC 1928 section 3)
 * → {@link Socks5ProxyHandler}; 0x04 (SOCKS4, which has no passwords) is answered "rejected" and closed;
 * anything else is taken for HTTP (a request starts with a method name in ASCII) → {@link HttpProxyHandler}
 * behind Netty's HTTP codec with the listener's request line and header limits.
 */
final class ProtocolDetector extends ByteToMessageDecoder {

    static final String NAME = "protocol-detector";
    static final String HTTP_CODEC = "http-codec";
    static final String HTTP_HEAD_WATCH = "http-head-watch";
    static final String HTTP_AGGREGATOR = "http-aggregator";
    static final String HTTP_PROXY = "http-proxy";

    private static final byte SOCKS4_VERSION = 0x04;
    private static final byte SOCKS5_VERSION = 0x05;
    private static final byte[] SOCKS4_REJECTED = {0x00, 0x5B, 0, 0, 0, 0, 0, 0};
    /** Request bodies are buffered whole before forwarding; uploads through a proxy are small. */
    private static final int MAX_REQUEST_BYTES = 16 * 1024 * 1024;

    private final ProxyListener listener;

    ProtocolDetector(ProxyListener listener) {
        this.listener = listener;
    }

    /**
     * A connection that fails before its first byte was read (a client's reset, most often: a scanner, or a flood the
     * connection limits cut off) is closed quietly, as the protocol handlers close theirs; without this the failure
     * reached the pipeline's tail, which Netty logs at WARN with a stack trace for every such connection.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        byte first = in.getByte(in.readerIndex());
        if (first == SOCKS5_VERSION) {
            ChannelPipeline pipeline = ctx.pipeline();
            pipeline.addAfter(ctx.name(), Socks5ProxyHandler.ENCODER, Socks5ServerEncoder.DEFAULT);
            pipeline.addAfter(Socks5ProxyHandler.ENCODER, Socks5ProxyHandler.DECODER, new Socks5InitialRequestDecoder());
            pipeline.addAfter(Socks5ProxyHandler.DECODER, Socks5ProxyHandler.HANDLER, new Socks5ProxyHandler(listener));
            pipeline.remove(this);
            return;
        }
        if (first == SOCKS4_VERSION) {
            // SOCKS4 has no password authentication, so it is never served. Its reply (VN=0, CD=91 "request
            // rejected or failed", port and address zero) tells a SOCKS4 client so, then the connection closes.
            in.skipBytes(in.readableBytes());
            ctx.writeAndFlush(Unpooled.wrappedBuffer(SOCKS4_REJECTED)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ProxySettings settings = listener.settings();
        ChannelPipeline pipeline = ctx.pipeline();
        // Too long a request line or header block comes out of the codec, or out of RequestHeadWatch, which counts
        // exactly, as a failed message (TooLongHttpLineException / TooLongHttpHeaderException): HttpProxyHandler
        // answers 414 / 431.
        pipeline.addAfter(ctx.name(), HTTP_CODEC, httpCodec(settings));
        pipeline.addAfter(HTTP_CODEC, HTTP_HEAD_WATCH, new RequestHeadWatch(settings));
        pipeline.addAfter(HTTP_HEAD_WATCH, HTTP_AGGREGATOR, new BodyAggregator(MAX_REQUEST_BYTES, listener.bodyBudget(), listener::credentials));
        pipeline.addAfter(HTTP_AGGREGATOR, HTTP_PROXY, new HttpProxyHandler(listener));
        pipeline.remove(this);
    }

    /**
     * A customer that half-closes (FIN) before its first byte has nothing to say: closed. (Customer connections allow
     * half-closure, see {@link TunnelRelay}; Netty passes whatever was buffered on first, so a request followed by FIN
     * in one segment still reaches its protocol handler.)
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        super.userEventTriggered(ctx, evt);
        if (evt instanceof ChannelInputShutdownEvent && !ctx.isRemoved()) {
            ctx.close();
        }
    }

    /**
     * Netty's aggregator, with three differences:
     * <ul>
     *   <li>a body past the limit gets {@code 413} with {@code Connection: close}, then the connection closes (RFC 9110
     *       15.5.14 allows it). Netty's own answer keeps a keep-alive connection open and discards the announced body,
     *       so a client that announced gigabytes and stopped held its connection until the idle timeout, with no
     *       request-head timer running;</li>
     *   <li>the bytes it holds are the agent's {@link BodyBudget}'s: a declared {@code Content-Length} that does not fit
     *       what is free when the head arrives, or a part of a body (either framing) that does not fit when it
     *       arrives, gets {@code 503 Service Unavailable} with {@code Retry-After: 1}, the part of the body held so far
     *       is dropped (its bytes given back at once) and the connection closes; what it sends after is dropped unread. The
     *       bytes of a body are given back when the aggregated request is released ({@link BudgetedBody}): written to
     *       the origin, answered without forwarding, or dropped with the connection. The 503 goes out when the
     *       protocol handler waits for this request, after the answers to requests pipelined ahead of it
     *       ({@link ConnectionTimeouts#whenReady});</li>
     *   <li>the credentials of a request with a body (other than {@code CONNECT}, which has none to read and is judged
     *       on its head by {@link HttpProxyHandler}) are judged on its head, before a byte of the body is taken from
     *       the budget or buffered ({@link HttpProxyHandler#judgeAuthorization}, the same check the handler makes):
     *       missing or wrong gets {@code 407} with the challenge, a repeated field {@code 400}, each with
     *       {@code Connection: close}, in order behind the answers ahead of it, then the same lingering close as the
     *       503. Found (verification review of the 2026-12-03 fixes, M2): a wrong password with four bodies of 16 MiB
     *       less a byte held open held the whole budget, and every valid upload through any other proxy got 503; the
     *       credentials were checked on the whole request. A bodyless request is still judged by the handler (its 407
     *       keeps the connection open).</li>
     * </ul>
     * It is also where an HTTP request ends for the agent's request-head phase ({@link ConnectionLimits}): when the
     * request's last part arrives, before the request goes on to {@link HttpProxyHandler}, so that an answer given at
     * once (a 407 on a kept-alive connection) starts the next phase, counted again.
     */
    static final class BodyAggregator extends HttpObjectAggregator {

        /** How long a refused connection (503, or 407 / 400 on a body's head) is still read, at most, before it is closed ({@link #lingerThenClose}). */
        static final Duration LINGER_AFTER_REFUSAL = Duration.ofSeconds(2);
        private static final byte[] NO_BUDGET =
                "Too many request bodies in flight on this proxy host: retry shortly\n".getBytes(StandardCharsets.UTF_8);

        private final BodyBudget budget;
        /** The listener's credentials as they are now (a proxy provisioned again takes new ones). */
        private final Supplier<ProxyCredentials> credentials;
        private ConnectionTimeouts timeouts;
        /** The body being aggregated, when its request announced one; null between requests. */
        private BudgetedBody body;
        private boolean bodyExpected;
        private HttpVersion version = HttpVersion.HTTP_1_1;
        /** Refused for want of budget: the connection is answered and closes; what it sends is dropped. */
        private boolean refused;

        BodyAggregator(int maxContentBytes, BodyBudget budget, Supplier<ProxyCredentials> credentials) {
            super(maxContentBytes);
            this.budget = budget;
            this.credentials = credentials;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
            super.handlerAdded(ctx);
            timeouts = ctx.pipeline().get(ConnectionTimeouts.class);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (refused) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof FullHttpMessage) {
                requestComplete(); // a head the codec or RequestHeadWatch refused: whole as it is, passed on untouched
            }
            super.channelRead(ctx, msg);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, HttpObject msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest head) {
                version = head.protocolVersion();
                bodyExpected = announcesBody(head);
                if (bodyExpected && !HttpMethod.CONNECT.equals(head.method())) {
                    HttpProxyHandler.Authorization authorization = HttpProxyHandler.judgeAuthorization(head.headers(), credentials.get());
                    if (authorization != HttpProxyHandler.Authorization.ACCEPTED) {
                        HttpVersion answerVersion = version;
                        refuse(ctx, () -> HttpProxyHandler.authorizationRefusal(answerVersion, authorization, false));
                        return;
                    }
                }
                long declared = declaredLength(head);
                if (declared > 0 && declared <= maxContentLength() && !budget.fits(declared)) {
                    refuseForBudget(ctx);
                    return;
                }
            } else if (body != null && msg instanceof HttpContent part && !body.take(part.content().readableBytes())) {
                refuseForBudget(ctx);
                return;
            }
            if (msg instanceof LastHttpContent) {
                requestComplete();
            }
            super.decode(ctx, msg, out);
            if (msg instanceof LastHttpContent || !out.isEmpty()) {
                body = null; // the request went on, or failed: its body is the request's now
            }
        }

        /** A streamed body of a request that announced one is held in a {@link BudgetedBody}. */
        @Override
        protected FullHttpMessage beginAggregation(HttpMessage start, ByteBuf content) throws Exception {
            if (bodyExpected && content instanceof CompositeByteBuf empty && empty.numComponents() == 0) {
                empty.release();
                body = new BudgetedBody(empty.alloc(), maxCumulationBufferComponents(), budget);
                return super.beginAggregation(start, body);
            }
            return super.beginAggregation(start, content);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            body = null; // released by the aggregator with the message
            FullHttpResponse tooLarge = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    Unpooled.copiedBuffer("Request body larger than " + MAX_REQUEST_BYTES + " bytes\n", StandardCharsets.UTF_8));
            tooLarge.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .set(HttpHeaderNames.CONTENT_LENGTH, tooLarge.content().readableBytes())
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(tooLarge).addListener(ChannelFutureListener.CLOSE);
        }

        private void requestComplete() {
            if (timeouts != null) {
                timeouts.requestComplete();
            }
        }

        /**
         * The body does not fit the budget: {@code 503} with {@code Retry-After: 1} (RFC 9110 15.6.4, 10.2.3) and a
         * close, once the answers ahead of it are out; the part held so far goes now.
         */
        private void refuseForBudget(ChannelHandlerContext ctx) {
            budget.refused();
            HttpVersion answerVersion = version;
            refuse(ctx, () -> {
                FullHttpResponse busy = new DefaultFullHttpResponse(answerVersion, HttpResponseStatus.SERVICE_UNAVAILABLE,
                        Unpooled.wrappedBuffer(NO_BUDGET));
                busy.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                        .set(HttpHeaderNames.CONTENT_LENGTH, NO_BUDGET.length)
                        .set(HttpHeaderNames.RETRY_AFTER, 1)
                        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                return busy;
            });
        }

        /**
         * Refuses the request being received with {@code answer} (which says {@code Connection: close}), written once
         * the answers ahead of it are out, then a lingering close; the part of its body held so far goes now, and
         * from now on what the connection sends is dropped at the front of its pipeline: neither buffered nor counted
         * in the proxy's {@code bytes_in} (the agent never read it as the customer's traffic).
         */
        private void refuse(ChannelHandlerContext ctx, Supplier<FullHttpResponse> answer) {
            refused = true;
            body = null;
            releaseCurrentMessage(); // gives its bytes back
            ctx.pipeline().addFirst(DROP_READS, new DropReads());
            Runnable write = () -> ctx.writeAndFlush(answer.get()).addListener((ChannelFutureListener) BodyAggregator::lingerThenClose);
            if (timeouts != null) {
                timeouts.whenReady(write);
            } else {
                write.run();
            }
        }

        /**
         * After the refusal: FIN, then the connection is read (and dropped) until the client closes it, or
         * {@link #LINGER_AFTER_REFUSAL} at most. A client that sent its body right behind the head has bytes the agent
         * has not read; closing at once would answer them with a reset, which can destroy the answer before the client
         * reads it (RFC 9112 9.6: close in stages, the "lingering close" of Apache httpd and nginx).
         */
        private static void lingerThenClose(ChannelFuture written) {
            Channel channel = written.channel();
            if (!written.isSuccess() || !(channel instanceof DuplexChannel duplex)) {
                channel.close();
                return;
            }
            duplex.shutdownOutput();
            channel.eventLoop().schedule(() -> channel.close(), LINGER_AFTER_REFUSAL.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** Whether {@code head} announces a body: a {@code Content-Length} above 0, or chunked. */
        static boolean announcesBody(HttpRequest head) {
            return declaredLength(head) > 0 || HttpUtil.isTransferEncodingChunked(head);
        }

        /** The request's {@code Content-Length}, or -1 without one (the codec has refused an unreadable one already). */
        private static long declaredLength(HttpRequest head) {
            try {
                return HttpUtil.getContentLength(head, -1L);
            } catch (NumberFormatException unreadable) {
                return -1;
            }
        }
    }

    static final String DROP_READS = "drop-reads";

    /**
     * Drops whatever a refused connection sends ({@link BodyAggregator#refuse}), first in its pipeline, ahead of the
     * byte counter. The connection is still read, so that its lingering close sees the client's FIN.
     */
    static final class DropReads extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * The aggregated body of one request, a {@link CompositeByteBuf} like Netty's own (direct, as its pooled allocator
     * makes it on Linux), that takes its bytes from the {@link BodyBudget} as they are appended and gives them all
     * back when it is released, whoever releases it: the origin's encoder once the request is written, the proxy
     * handler when it answers without forwarding, the aggregator when the connection closes mid-body. Used on the
     * connection's event loop (its origin connection shares that loop).
     */
    static final class BudgetedBody extends CompositeByteBuf {

        private final BodyBudget budget;
        private long taken;

        BudgetedBody(ByteBufAllocator alloc, int maxComponents, BodyBudget budget) {
            super(alloc, true, maxComponents);
            this.budget = budget;
        }

        /** Takes room for {@code bytes} more from the budget; false, nothing taken, when they don't fit. */
        boolean take(int bytes) {
            if (!budget.tryTake(bytes)) {
                return false;
            }
            taken += bytes;
            return true;
        }

        @Override
        protected void deallocate() {
            super.deallocate();
            budget.giveBack(taken);
            taken = 0;
        }
    }

    /**
     * The HTTP/1.1 server codec, with limits just loose enough that it never refuses a request head within the
     * listener's limits; {@link RequestHeadWatch} applies them exactly. Netty counts a line without its line end, but
     * while the LF has not arrived yet it counts the CR: a request line of exactly the limit whose CR and LF came in
     * two reads was refused, hence one byte more. Its header count leaves out every CRLF, so it is never above ours.
     */
    static HttpServerCodec httpCodec(ProxySettings settings) {
        return new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(settings.maxRequestLineBytes() + 1)
                .setMaxHeaderSize(settings.maxHeaderBytes()));
    }

    /**
     * Sits right behind the HTTP codec and sees every decoded part of a request before it is aggregated:
     * <ul>
     *   <li>stops the request-head timer as soon as a request head is decoded (before its body is read; the request
     *       ends for the agent's request-head phase only with its body, in {@link BodyAggregator}, and until then the
     *       body's read gap is limited, {@link ConnectionTimeouts#requestHeadArrived});</li>
     *   <li>applies the listener's limits to the head exactly, in bytes as the client sent them: the request line
     *       without its CRLF (RFC 9112 section 3's request-line) against {@link ProxySettings#maxRequestLineBytes()},
     *       the header block, every field line with its CRLF (RFC 9112 section 2.1's {@code *( field-line CRLF )},
     *       the empty line that ends the head not included), against {@link ProxySettings#maxHeaderBytes()}. Netty's
     *       codec counts the field lines without their CRLFs, so a block of many short lines passed it far past the
     *       limit. Past a limit the head is replaced by a failed request, as the codec makes for its own refusals;
     *       the answer is 414 / 431 and a close.
     *       Strict line parsing (Netty's default) makes every line end a CRLF; the continuation line of an obsolete
     *       folded field (RFC 9112 section 5.2) alone is counted without its CRLF, as Netty joins it to the field
     *       before;</li>
     *   <li>within the limits, judges the head's version and body framing ({@link RequestFraming}: 505, 400, 501)
     *       before the aggregator reads a byte of its body, and puts a failed request carrying the refusal in its
     *       place the same way;</li>
     *   <li>after any failed head (one it refused, or one the codec did) passes nothing on: the connection is answered
     *       and closed, and with the framing in doubt what follows could be the body or a request smuggled in it.
     *       {@link HttpProxyHandler} never serves a request queued behind a failed one, so this does not decide what
     *       is forwarded; it keeps that from resting on the handler alone, and spares aggregating and queueing what
     *       will never be read (the bytes of a {@code Transfer-Encoding: gzip} body decode as further requests);</li>
     *   <li>ends HTTP decoding at the end of a well-formed {@code CONNECT} request. Whatever follows it on the
     *       connection belongs to the tunnel (RFC 9110 9.3.6), and a client may send it in the same TCP segment
     *       as the request (a TLS ClientHello written right behind the CONNECT). Left in the codec, those bytes
     *       would be parsed as the next HTTP request and lost. So {@link EarlyBytes} goes in right behind the
     *       codec and the codec's decoder leaves the pipeline in this same read: Netty's
     *       {@code ByteToMessageDecoder} hands its undecoded bytes on to the next handler when removed, and
     *       EarlyBytes holds them raw until {@link HttpProxyHandler} knows whether the tunnel stands (they go to
     *       the origin) or not (a fresh decoder is installed and reads them as the next request). The encoder
     *       half stays, so responses to requests still being answered (pipelined ahead of the CONNECT) and the
     *       CONNECT's own error answer are encoded as before.</li>
     * </ul>
     */
    static final class RequestHeadWatch extends ChannelInboundHandlerAdapter {

        /** CR LF: every line end, strict line parsing being on. */
        private static final int LINE_END_BYTES = 2;

        private final ProxySettings settings;
        private ConnectionTimeouts timeouts;
        private boolean inConnect;
        /** A head failed: what the connection sends after it is dropped until it closes. */
        private boolean discarding;

        RequestHeadWatch(ProxySettings settings) {
            this.settings = settings;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            timeouts = ctx.pipeline().get(ConnectionTimeouts.class);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (discarding) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpRequest decoded) {
                if (timeouts != null) {
                    // The head timer stops (the body's read gap is watched instead); the request ends for the limits in
                    // BodyAggregator.
                    timeouts.requestHeadArrived(BodyAggregator.announcesBody(decoded));
                }
                HttpRequest request = judged(decoded);
                msg = request;
                discarding = !request.decoderResult().isSuccess();
                inConnect = HttpMethod.CONNECT.equals(request.method()) && !discarding;
            }
            if (inConnect && msg instanceof LastHttpContent) {
                inConnect = false;
                stopDecoding(ctx.pipeline());
            }
            ctx.fireChannelRead(msg);
        }

        /**
         * {@code request}, or a failed request in its place when its head is past one of the listener's limits
         * (first: they say how much was read, whatever it says) or {@link RequestFraming} refuses it.
         */
        private HttpRequest judged(HttpRequest request) {
            Exception pastLimit = pastLimit(request);
            if (pastLimit != null) {
                return refused(request, pastLimit);
            }
            RequestFraming.Refusal refusal = RequestFraming.judge(request);
            return refusal == null ? request : refused(request, refusal);
        }

        /** Why the head is past one of the listener's limits, or null. */
        private Exception pastLimit(HttpRequest request) {
            if (!(request.decoderResult() instanceof HttpMessageDecoderResult sizes)) {
                return null; // failed in the codec already (its own limits, malformed input)
            }
            if (sizes.initialLineLength() > settings.maxRequestLineBytes()) {
                return new TooLongHttpLineException(
                        "HTTP request line of " + sizes.initialLineLength() + " bytes, limit " + settings.maxRequestLineBytes());
            }
            long headerBlockBytes = sizes.headerSize() + (long) LINE_END_BYTES * request.headers().size();
            if (headerBlockBytes > settings.maxHeaderBytes()) {
                return new TooLongHttpHeaderException(
                        "HTTP header block of " + headerBlockBytes + " bytes, limit " + settings.maxHeaderBytes());
            }
            return null;
        }

        /**
         * The shape Netty's decoder gives a request it refuses: no headers, no body, the cause as its result; the
         * request's version, which the answer is written in unless the cause says otherwise.
         */
        private static HttpRequest refused(HttpRequest request, Exception cause) {
            ReferenceCountUtil.release(request);
            FullHttpRequest failed = new DefaultFullHttpRequest(request.protocolVersion(), HttpMethod.GET, "/bad-request", Unpooled.EMPTY_BUFFER);
            failed.setDecoderResult(DecoderResult.failure(cause));
            return failed;
        }

        private static void stopDecoding(ChannelPipeline pipeline) {
            if (!(pipeline.get(HTTP_CODEC) instanceof HttpServerCodec codec) || pipeline.get(EarlyBytes.NAME) != null) {
                return;
            }
            pipeline.addAfter(HTTP_CODEC, EarlyBytes.NAME, new EarlyBytes());
            codec.removeInboundHandler(); // its undecoded bytes go on to EarlyBytes now
        }
    }
}
