package com.proxyvault.agent.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * The HTTP proxy: checks {@code Proxy-Authorization} against the listener's credentials (a request with a body was
 * judged on its head already, {@link ProtocolDetector.BodyAggregator}; the same {@link #judgeAuthorization}), then
 * either forwards an absolute-form request ({@code GET http://host/path}) to its origin in
 * origin-form and streams the response back, or opens a {@code CONNECT host:port} tunnel and turns
 * the connection into a raw byte relay. Either way the target must resolve to a public address
 * (or one the {@link OriginPolicy} allows), else the answer is {@code 403} and nothing is connected.
 *
 * <p>Requests on one customer connection are answered strictly in order: while one is being
 * forwarded the connection isn't read, and requests the client pipelined anyway wait in a queue.
 * Each forwarded request gets its own origin connection (sent with {@code Connection: close}), which
 * keeps relaying simple and lets consecutive requests go to different origins.
 *
 * <p>Bad input answers: a request line past {@link ProxySettings#maxRequestLineBytes()} → {@code 414}
 * (RFC 9110 15.5.15), a header block past {@link ProxySettings#maxHeaderBytes()} → {@code 431}
 * (RFC 6585 5), a version or body framing {@link RequestFraming} refuses → its {@code 505}, {@code 400} or
 * {@code 501}, anything else the codec can't parse → {@code 400}; each closes the connection.
 */
final class HttpProxyHandler extends ChannelInboundHandlerAdapter {

    /** 414 with RFC 9110's reason phrase (section 15.5.15); Netty's constant still says "Request-URI Too Long" (RFC 2616). */
    static final HttpResponseStatus URI_TOO_LONG = new HttpResponseStatus(414, "URI Too Long");


    /**
     * How origin responses are decoded: Netty's defaults (status line 4096 bytes, header block 8192, chunks of up to
     * 8192, headers validated, a repeated Content-Length refused), with the RFC 9112 transfer-encoding rules pinned on
     * so that {@link ResponseFraming} can rely on them: Netty's default follows a system property, and without them
     * the decoder would read Transfer-Encoding in an HTTP/1.0 response and chunked before another coding, and quietly
     * drop a Content-Length beside chunked (docs/device-agent.md "Responses from the origin"). Shared and never
     * changed: each codec copies what it needs.
     */
    private static final HttpDecoderConfig ORIGIN_DECODER = new HttpDecoderConfig().setUseRfc9112TransferEncoding(true);

    static final String REALM_CHALLENGE = "Basic realm=\"proxyvault\"";
    private static final int HTTP_DEFAULT_PORT = 80;
    private static final String HTTP_SCHEME = "http://";
    /** The answer to a CONNECT that got its tunnel (RFC 9110 9.3.6: no content, no framing headers), encoded once. */
    private static final ByteBuf ESTABLISHED_HTTP_1_1 = established("HTTP/1.1");
    private static final ByteBuf ESTABLISHED_HTTP_1_0 = established("HTTP/1.0");

    private final ProxyListener listener;
    private final Deque<FullHttpRequest> waiting = new ArrayDeque<>();
    private boolean busy;
    /** The request being answered is a well-formed CONNECT: HTTP decoding stopped behind it (see resumeHttpDecoding). */
    private boolean answeringConnect;
    /**
     * The customer sent FIN (half-close): requests already received are still answered, in order, then the
     * connection closes; a CONNECT that gets its tunnel passes the FIN on to the origin (see {@link TunnelRelay}).
     */
    private boolean inputShutdown;
    /** The origin whose response is streaming back right now, for back-pressure. */
    private Channel origin;

    HttpProxyHandler(ProxyListener listener) {
        this.listener = listener;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (busy) {
            waiting.add(request);
            return;
        }
        handle(ctx, request);
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        busy = true;
        answeringConnect = request.decoderResult().isSuccess() && HttpMethod.CONNECT.equals(request.method());
        if (!request.decoderResult().isSuccess() || !HttpMethod.CONNECT.equals(request.method())) {
            // Not read while this request is served; a CONNECT keeps reading instead, into EarlyBytes
            // (see openTunnel): two epoll_ctl calls less per tunnel.
            ctx.channel().config().setAutoRead(false);
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpVersion version = request.protocolVersion();
        if (!request.decoderResult().isSuccess()) {
            Throwable cause = request.decoderResult().cause();
            request.release();
            // Nothing after a failed head is read (ProtocolDetector.RequestHeadWatch): answer, then close.
            if (cause instanceof RequestFraming.Refusal refusal) {
                respond(ctx, refusal.answerInHttp11 ? HttpVersion.HTTP_1_1 : version, refusal.status, refusal.getMessage(), false, List.of());
            } else if (cause instanceof TooLongHttpLineException) {
                respond(ctx, HttpVersion.HTTP_1_1, URI_TOO_LONG,
                        "Request line longer than " + listener.settings().maxRequestLineBytes() + " bytes", false, List.of());
            } else if (cause instanceof TooLongHttpHeaderException) {
                respond(ctx, HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "Request header fields larger than " + listener.settings().maxHeaderBytes() + " bytes", false, List.of());
            } else {
                respond(ctx, version, HttpResponseStatus.BAD_REQUEST, "Malformed request", false, List.of());
            }
            return;
        }
        // A request with a body was judged on its head already (ProtocolDetector.BodyAggregator) and got here only with
        // credentials; judged again, they may have changed since (a proxy provisioned again).
        Authorization authorization = judgeAuthorization(request.headers(), listener.credentials());
        if (authorization != Authorization.ACCEPTED) {
            request.release();
            boolean staysOpen = keepAlive && authorization.keepsConnection;
            send(ctx, authorizationRefusal(version, authorization, staysOpen), staysOpen);
            return;
        }
        if (HttpMethod.CONNECT.equals(request.method())) {
            openTunnel(ctx, request, version, keepAlive);
        } else {
            forward(ctx, request, version, keepAlive);
        }
    }

    // ---- CONNECT ----------------------------------------------------------------------------

    private void openTunnel(ChannelHandlerContext ctx, FullHttpRequest request, HttpVersion version, boolean keepAlive) {
        String authority = request.uri();
        request.release();
        HostAndPort target;
        try {
            target = HostAndPort.parse(authority, -1);
        } catch (IllegalArgumentException e) {
            respond(ctx, version, HttpResponseStatus.BAD_REQUEST, "CONNECT needs host:port: " + e.getMessage(), keepAlive, List.of());
            return;
        }
        Channel customer = ctx.channel();
        // Whatever the customer sent behind the CONNECT, and sends while the origin connects, waits raw in
        // EarlyBytes, which ProtocolDetector.RequestHeadWatch put in place of the HTTP decoder.
        // The origin isn't read until the customer's pipeline is a relay too, so no byte it sends
        // first (an SSH or SMTP banner) is lost.
        Future<Channel> connect = listener.connectToOrigin(customer, target, new TunnelRelay(customer), false);
        connect.addListener((Future<Channel> connected) -> {
            if (!connected.isSuccess()) {
                // With keep-alive the connection goes on as HTTP: what the customer sent meanwhile is its next request.
                respondToOriginFailure(ctx, version, authority, connected.cause(), keepAlive);
                return;
            }
            Channel originChannel = connected.getNow();
            if (!customer.isActive()) {
                originChannel.close(); // the customer left while we were connecting
                return;
            }
            becomeTunnel(customer, originChannel, version);
        });
    }

    /**
     * Turns the customer connection into a byte relay at once: the HTTP handlers leave the pipeline, the
     * {@code 200} goes out as ready-made bytes, and both sides start reading in this same task of the
     * shared event loop. The 200 is queued on the customer before either side can read, so no relayed byte
     * can overtake it; if writing it fails, the customer closes and its relay closes the origin.
     */
    private void becomeTunnel(Channel customer, Channel originChannel, HttpVersion version) {
        releaseWaiting();
        ChannelPipeline pipeline = customer.pipeline();
        pipeline.addLast("tunnel", new TunnelRelay(originChannel));
        pipeline.remove(this);
        pipeline.remove(ProtocolDetector.HTTP_AGGREGATOR);
        pipeline.remove(ProtocolDetector.HTTP_HEAD_WATCH);
        pipeline.remove(ProtocolDetector.HTTP_CODEC); // only its encoder was left (RequestHeadWatch)
        removeEarlyBytes(pipeline); // what came behind the CONNECT and while connecting goes into the tunnel
        ByteBuf established = HttpVersion.HTTP_1_0.equals(version) ? ESTABLISHED_HTTP_1_0 : ESTABLISHED_HTTP_1_1;
        customer.writeAndFlush(established.duplicate()).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (inputShutdown) {
            TunnelRelay.passOnCustomerFin(customer, originChannel); // after the early bytes relayed above
        }
        customer.config().setAutoRead(true);
        originChannel.config().setAutoRead(true);
    }

    /**
     * A CONNECT answered without a tunnel (407, 400, 403, 502, 504) on a connection that stays open: HTTP goes on.
     * The decoder left at the end of the CONNECT (ProtocolDetector.RequestHeadWatch), so a fresh codec takes the
     * old one's place right behind EarlyBytes, and EarlyBytes leaves, handing it what the customer sent since
     * the CONNECT: the next requests. Called after the answer went through the old codec's encoder.
     */
    private void resumeHttpDecoding(ChannelPipeline pipeline) {
        if (pipeline.get(EarlyBytes.NAME) == null) {
            return;
        }
        pipeline.remove(ProtocolDetector.HTTP_CODEC);
        pipeline.addAfter(EarlyBytes.NAME, ProtocolDetector.HTTP_CODEC, ProtocolDetector.httpCodec(listener.settings()));
        pipeline.remove(EarlyBytes.NAME);
    }

    private static void removeEarlyBytes(ChannelPipeline pipeline) {
        if (pipeline.get(EarlyBytes.NAME) != null) {
            pipeline.remove(EarlyBytes.NAME);
        }
    }

    // ---- absolute-form ----------------------------------------------------------------------

    private void forward(ChannelHandlerContext ctx, FullHttpRequest request, HttpVersion version, boolean keepAlive) {
        String uri = request.uri();
        if (!uri.regionMatches(true, 0, HTTP_SCHEME, 0, HTTP_SCHEME.length())) {
            request.release();
            respond(ctx, version, HttpResponseStatus.BAD_REQUEST,
                    "This is a proxy: send absolute-form http:// requests, or CONNECT host:port", keepAlive, List.of());
            return;
        }
        int pathStart = indexOfAny(uri, "/?#", HTTP_SCHEME.length());
        String authority = pathStart < 0 ? uri.substring(HTTP_SCHEME.length()) : uri.substring(HTTP_SCHEME.length(), pathStart);
        String path = pathStart < 0 ? "/" : uri.substring(pathStart);
        if (path.startsWith("?")) {
            path = "/" + path;
        }
        int fragment = path.indexOf('#');
        if (fragment >= 0) {
            path = path.substring(0, fragment); // fragments never go on the wire
        }
        HostAndPort target;
        try {
            target = HostAndPort.parse(authority, HTTP_DEFAULT_PORT);
        } catch (IllegalArgumentException e) {
            request.release();
            respond(ctx, version, HttpResponseStatus.BAD_REQUEST, "Bad target: " + e.getMessage(), keepAlive, List.of());
            return;
        }

        boolean headRequest = HttpMethod.HEAD.equals(request.method());
        request.setUri(path);
        prepareForOrigin(request.headers(), authority.substring(authority.lastIndexOf('@') + 1));

        OriginResponseRelay relay = new OriginResponseRelay(this, ctx, keepAlive, headRequest, version);
        Future<Channel> connect = listener.connectToOrigin(ctx.channel(), target, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(new HttpClientCodec(ORIGIN_DECODER, false, false), relay);
            }
        }, true);
        connect.addListener((Future<Channel> connected) -> {
            if (!connected.isSuccess()) {
                request.release();
                respondToOriginFailure(ctx, version, authority, connected.cause(), keepAlive);
                return;
            }
            Channel originChannel = connected.getNow();
            if (!ctx.channel().isActive()) {
                request.release(); // the customer left while we were connecting
                originChannel.close();
                return;
            }
            origin = originChannel;
            // A failed write does not end the origin connection: an origin may answer before it reads the body, then
            // reset, and its answer is still to be read (OriginResponseRelay.requestWritten).
            originChannel.writeAndFlush(request).addListener((ChannelFuture written) -> relay.requestWritten(written));
        });
    }

    /** Origin-form toward the origin: no proxy credentials, no hop-by-hop headers, one request. */
    private static void prepareForOrigin(HttpHeaders headers, String hostHeader) {
        removeHopByHopHeaders(headers);
        // The body is whole and the aggregator gave it its Content-Length: a Transfer-Encoding that RequestFraming let
        // through names chunked, now decoded, and must not go on beside it (RFC 9112 6.3 item 3). The aggregator
        // drops only a line that is exactly "chunked": ", chunked" went on, and the origin got both fields.
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        // The body is already complete (aggregated), so the origin must not wait for a 100-continue round.
        headers.remove(HttpHeaderNames.EXPECT);
        headers.set(HttpHeaderNames.HOST, hostHeader);
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }

    /**
     * Headers that describe one hop, not the message (RFC 9110 7.6.1), and every Proxy-* header:
     * the customer's Proxy-Authorization is for us and must never reach the origin.
     * Transfer-Encoding stays: a response's streamed body is re-framed according to it (a forwarded request's body is
     * whole, and prepareForOrigin removes it).
     *
     * <p>A field the {@code Connection} header names goes too, except {@code Content-Length} and
     * {@code Transfer-Encoding}: they frame the message the agent sends on, which it frames itself (a request's length
     * is its aggregated body's, a response's body is streamed as its fields say). Found: {@code Connection:
     * Content-Length} made the agent forward a kept-alive response without its length (the client waited for a close)
     * and a request body without one (the origin could read the body as a second request). RFC 9110 7.6.1 forbids
     * naming such a field as a connection option in the first place.
     */
    static void removeHopByHopHeaders(HttpHeaders headers) {
        for (String listed : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : listed.split(",")) {
                String name = token.trim();
                if (!name.isEmpty() && !HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                        && !HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)) {
                    headers.remove(name);
                }
            }
        }
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove(HttpHeaderNames.TE);
        headers.remove(HttpHeaderNames.TRAILER);
        headers.remove(HttpHeaderNames.UPGRADE);
        List<String> proxyHeaders = new ArrayList<>();
        for (String name : headers.names()) {
            if (name.toLowerCase(Locale.ROOT).startsWith("proxy-")) {
                proxyHeaders.add(name);
            }
        }
        proxyHeaders.forEach(headers::remove);
    }

    /** Called by the relay, on this connection's event loop, once the whole response went out. */
    void responseRelayed(ChannelHandlerContext ctx, boolean keepAlive) {
        origin = null;
        if (keepAlive) {
            nextRequest(ctx);
        } else {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Called by the relay when the origin went away before sending a response. */
    void originFailedBeforeResponse(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive) {
        origin = null;
        respond(ctx, version, HttpResponseStatus.BAD_GATEWAY, "The origin closed the connection without a response", keepAlive, List.of());
    }

    /**
     * Called by the relay when the origin's response head cannot be relayed unambiguously ({@link ResponseFraming}):
     * {@code 502} with {@code message}, the origin connection already closed. Nothing of the response reached the
     * customer, so its connection goes on as it asked.
     */
    void originResponseRefused(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive, String message) {
        origin = null;
        respond(ctx, version, HttpResponseStatus.BAD_GATEWAY, message, keepAlive, List.of());
    }

    // ---- plumbing ---------------------------------------------------------------------------

    private void respondToOriginFailure(ChannelHandlerContext ctx, HttpVersion version, String authority, Throwable cause, boolean keepAlive) {
        if (cause instanceof BlockedTargetException) {
            respond(ctx, version, HttpResponseStatus.FORBIDDEN, "Forbidden: " + cause.getMessage(), keepAlive, List.of());
            return;
        }
        HttpResponseStatus status = cause instanceof ConnectTimeoutException
                ? HttpResponseStatus.GATEWAY_TIMEOUT
                : HttpResponseStatus.BAD_GATEWAY;
        respond(ctx, version, status, "Cannot reach " + authority, keepAlive, List.of());
    }

    /** What a request head's {@code Proxy-Authorization} says about it, judged the same way wherever it is asked. */
    enum Authorization {
        ACCEPTED(true),
        /**
         * The field more than once: a singleton field (RFC 9110 11.7.4, 5.3), and with two lines a component in front
         * may judge the other one (the gateway refuses a repeated Authorization the same way, docs/api.md "Repeated
         * headers"). {@code 400} and closed: the customer's client is broken or probing. Third new-user review,
         * finding 7: the first line decided.
         */
        REPEATED(false),
        /** Missing, malformed or not the proxy's credentials: {@code 407} with the challenge. */
        REFUSED(true);

        /** Whether the connection may stay open after the refusal, as the request asked (a bodyless one). */
        final boolean keepsConnection;

        Authorization(boolean keepsConnection) {
            this.keepsConnection = keepsConnection;
        }
    }

    /**
     * Judges the {@code Proxy-Authorization} of a request head against {@code credentials} (compared in constant time,
     * {@link ProxyCredentials#acceptsProxyAuthorization}). Used on the head of a request with a body, before a byte of
     * the body is read ({@link ProtocolDetector.BodyAggregator}), and on every whole request here.
     */
    static Authorization judgeAuthorization(HttpHeaders headers, ProxyCredentials credentials) {
        List<String> lines = headers.getAll(HttpHeaderNames.PROXY_AUTHORIZATION);
        if (lines.size() > 1) {
            return Authorization.REPEATED;
        }
        return credentials.acceptsProxyAuthorization(lines.isEmpty() ? null : lines.get(0))
                ? Authorization.ACCEPTED : Authorization.REFUSED;
    }

    /**
     * The answer to a head whose authorization is not {@link Authorization#ACCEPTED}: {@code 400} for a repeated field,
     * {@code 407} with {@code Proxy-Authenticate: Basic realm="proxyvault"} (RFC 9110 11.7.1) otherwise;
     * {@code Connection: close} unless {@code keepAlive}.
     */
    static FullHttpResponse authorizationRefusal(HttpVersion version, Authorization authorization, boolean keepAlive) {
        if (authorization == Authorization.REPEATED) {
            return answer(version, HttpResponseStatus.BAD_REQUEST, "Proxy-Authorization must be sent once", keepAlive, List.of());
        }
        return answer(version, HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED, "Proxy authentication required", keepAlive,
                List.of(new Header(HttpHeaderNames.PROXY_AUTHENTICATE, REALM_CHALLENGE)));
    }

    private static FullHttpResponse answer(HttpVersion version, HttpResponseStatus status, String message, boolean keepAlive,
                                           List<Header> extraHeaders) {
        FullHttpResponse response = new DefaultFullHttpResponse(version, status,
                Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        extraHeaders.forEach(header -> response.headers().set(header.name(), header.value()));
        HttpUtil.setKeepAlive(response, keepAlive);
        return response;
    }

    private void respond(ChannelHandlerContext ctx, HttpVersion version, HttpResponseStatus status, String message,
                         boolean keepAlive, List<Header> extraHeaders) {
        send(ctx, answer(version, status, message, keepAlive, extraHeaders), keepAlive);
    }

    /** Writes {@code response}, then goes on to the next request or closes, as {@code keepAlive} says. */
    private void send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        ChannelFuture written = ctx.writeAndFlush(response);
        if (keepAlive) {
            if (answeringConnect) {
                resumeHttpDecoding(ctx.pipeline()); // requests decoded from here on queue up until nextRequest
            }
            nextRequest(ctx);
        } else {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void nextRequest(ChannelHandlerContext ctx) {
        busy = false;
        answeringConnect = false;
        FullHttpRequest next = waiting.poll();
        if (next != null) {
            handle(ctx, next);
        } else if (inputShutdown) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE); // answered all it sent
        } else {
            ConnectionTimeouts.armRequestHeadTimer(ctx.pipeline());
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
            if (!busy) {
                ctx.close(); // nothing in flight, nothing queued
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Channel streaming = origin;
        if (streaming != null) {
            streaming.config().setAutoRead(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseWaiting();
        Channel streaming = origin;
        if (streaming != null) {
            streaming.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void releaseWaiting() {
        FullHttpRequest queued;
        while ((queued = waiting.poll()) != null) {
            queued.release();
        }
    }

    /** Direct and never released, so each CONNECT writes a duplicate of it without a copy. */
    private static ByteBuf established(String version) {
        byte[] bytes = (version + " 200 Connection Established\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer(bytes.length).writeBytes(bytes));
    }

    private static int indexOfAny(String text, String chars, int from) {
        for (int i = from; i < text.length(); i++) {
            if (chars.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private record Header(CharSequence name, String value) {
    }
}
