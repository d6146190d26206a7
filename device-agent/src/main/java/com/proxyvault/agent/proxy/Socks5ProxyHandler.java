package com.proxyvault.agent.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.socksx.SocksVersion;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandRequest;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequestDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The SOCKS5 side of a listener, on Netty's socks codec (netty-codec-socks), in the order of the RFCs:
 *
 * <ol>
 *   <li><b>Greeting</b> (RFC 1928 section 3): the client lists its authentication methods. Only
 *       USERNAME/PASSWORD (0x02) is accepted, since every proxy has credentials; a client offering only
 *       others (e.g. NO AUTHENTICATION, 0x00) gets {@code 05 FF} "no acceptable methods" and the
 *       connection is closed, as section 3 prescribes.</li>
 *   <li><b>Username/password</b> (RFC 1929 section 2): compared with the proxy's credentials in constant
 *       time; status 0x00 on success, otherwise 0xFF (Netty's FAILURE; any non-zero status is a failure) and
 *       the connection is closed ("If the server returns a failure status, it MUST close the connection").</li>
 *   <li><b>Request</b> (RFC 1928 sections 4-6): only CONNECT; BIND and UDP ASSOCIATE get reply 0x07
 *       "command not supported", an ATYP other than 1, 3 and 4 gets 0x08 "address type not supported", a VER other
 *       than 5 0x01 "general SOCKS server failure" (docs/decisions.md). The target (IPv4, IPv6 or a domain name,
 *       resolved here so {@code --socks5-hostname} clients work) goes through the same {@link OriginPolicy} as HTTP:
 *       a refused address gets 0x02 "connection not allowed by ruleset", an unresolvable name 0x04
 *       "host unreachable" (so does a name no resolver can look up, {@link UnusableAddressException}, or an empty
 *       one, without a lookup), a refused connection 0x05, a connect timeout 0x04; any of these closes the connection. On success
 *       the reply carries the origin connection's local address and port (BND.ADDR/BND.PORT), then the connection
 *       is a raw relay both ways.</li>
 * </ol>
 * The request-head timer ({@link ConnectionTimeouts}) runs until the request has arrived, so a client
 * stuck half way through the handshake is closed.
 */
final class Socks5ProxyHandler extends ChannelInboundHandlerAdapter {

    static final String ENCODER = "socks5-encoder";
    static final String DECODER = "socks5-decoder";
    static final String HANDLER = "socks5-proxy";

    private final ProxyListener listener;
    /** Bytes the client sent after its request but before the reply (optimistic data), kept for the origin. */
    private final Deque<ByteBuf> early = new ArrayDeque<>();
    private long earlyBytes;
    private boolean requestSeen;
    /** The customer sent FIN after its request, before the tunnel stood: passed on to the origin once it does. */
    private boolean inputShutdown;

    Socks5ProxyHandler(ProxyListener listener) {
        this.listener = listener;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf bytes) {
            if (requestSeen) {
                early.add(bytes);
                earlyBytes += bytes.readableBytes();
                if (earlyBytes > EarlyBytes.MAX_HELD_BYTES) {
                    ctx.channel().config().setAutoRead(false); // a flood while connecting stays in the kernel
                }
            } else {
                bytes.release();
            }
            return;
        }
        try {
            if (msg instanceof Socks5InitialRequest greeting) {
                onGreeting(ctx, greeting);
            } else if (msg instanceof Socks5PasswordAuthRequest auth) {
                onPasswordAuth(ctx, auth);
            } else if (msg instanceof Socks5CommandRequest request) {
                onRequest(ctx, request);
            } else {
                ctx.close();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onGreeting(ChannelHandlerContext ctx, Socks5InitialRequest greeting) {
        // A greeting the codec cannot read (NMETHODS = 0 is one: netty refuses an empty method list) lists no method
        // we accept either: "05 FF" and close (RFC 1928 section 3), never a silent close.
        if (greeting.decoderResult().isFailure() || !greeting.authMethods().contains(Socks5AuthMethod.PASSWORD)) {
            ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.UNACCEPTED)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.pipeline().replace(DECODER, DECODER, new Socks5PasswordAuthRequestDecoder());
        ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.PASSWORD));
    }

    private void onPasswordAuth(ChannelHandlerContext ctx, Socks5PasswordAuthRequest auth) {
        if (auth.decoderResult().isFailure()
                || !listener.credentials().accepts(auth.username(), auth.password())) {
            ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.FAILURE))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.pipeline().replace(DECODER, DECODER, new RequestDecoder());
        ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.SUCCESS));
    }

    private void onRequest(ChannelHandlerContext ctx, Socks5CommandRequest request) {
        if (request.decoderResult().isFailure()) {
            replyAndClose(ctx, statusForUnreadable(request.decoderResult().cause()));
            return;
        }
        if (!Socks5CommandType.CONNECT.equals(request.type())) {
            replyAndClose(ctx, Socks5CommandStatus.COMMAND_UNSUPPORTED);
            return;
        }
        if (request.dstAddr().isEmpty()) {
            // An empty DOMAINNAME (length octet 0) is a name no resolver can use, answered like the others
            // (UnusableAddressException); it would otherwise go to the resolver, which answers "" with the loopback address.
            replyAndClose(ctx, Socks5CommandStatus.HOST_UNREACHABLE);
            return;
        }
        if (request.dstPort() < 1) {
            replyAndClose(ctx, Socks5CommandStatus.FAILURE); // port 0 names no target
            return;
        }
        requestSeen = true;
        ConnectionTimeouts.disarmRequestHeadTimer(ctx.pipeline());
        Channel customer = ctx.channel();
        // The customer stays readable while the origin connects (what it sends goes to `early`): switching
        // reading off and on again would cost two epoll_ctl calls per session.
        HostAndPort target = new HostAndPort(request.dstAddr(), request.dstPort());
        Future<Channel> connect = listener.connectToOrigin(customer, target, new TunnelRelay(customer), false);
        connect.addListener((Future<Channel> connected) -> {
            if (!connected.isSuccess()) {
                replyAndClose(ctx, statusFor(connected.cause()));
                return;
            }
            Channel origin = connected.getNow();
            if (!customer.isActive()) {
                origin.close();
                return;
            }
            InetSocketAddress bound = (InetSocketAddress) origin.localAddress();
            Socks5AddressType boundType = bound.getAddress() instanceof Inet6Address ? Socks5AddressType.IPv6 : Socks5AddressType.IPv4;
            ctx.writeAndFlush(new DefaultSocks5CommandResponse(Socks5CommandStatus.SUCCESS, boundType,
                    bound.getAddress().getHostAddress(), bound.getPort())).addListener((ChannelFuture written) -> {
                if (!written.isSuccess()) {
                    origin.close();
                    return;
                }
                becomeTunnel(ctx, customer, origin);
            });
        });
    }

    private void becomeTunnel(ChannelHandlerContext ctx, Channel customer, Channel origin) {
        ByteBuf pending;
        while ((pending = early.poll()) != null) {
            origin.write(pending);
        }
        origin.flush();
        ChannelPipeline pipeline = customer.pipeline();
        pipeline.addLast("tunnel", new TunnelRelay(origin));
        pipeline.remove(this);
        pipeline.remove(DECODER); // whatever it still buffered flows on into the tunnel
        pipeline.remove(ENCODER);
        if (inputShutdown) {
            TunnelRelay.passOnCustomerFin(customer, origin); // after the early bytes written above
        }
        customer.config().setAutoRead(true);
        origin.config().setAutoRead(true);
    }

    /** FIN from the customer: mid-handshake it ends the connection; after the request it is kept for the tunnel. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            if (requestSeen) {
                inputShutdown = true;
            } else {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * The reply to a request {@link RequestDecoder} could not read (RFC 1928 section 6): a VER other than 5 is no SOCKS5
     * request at all, X'01' general failure (docs/decisions.md); a known ATYP whose address is no name a resolver can
     * look up is a host that cannot be reached, X'04', as a name that does not resolve is; what is left is an ATYP other
     * than 1, 3 and 4, X'08' address type not supported.
     */
    private static Socks5CommandStatus statusForUnreadable(Throwable cause) {
        if (cause instanceof UnsupportedVersionException) {
            return Socks5CommandStatus.FAILURE;
        }
        if (cause instanceof UnusableAddressException) {
            return Socks5CommandStatus.HOST_UNREACHABLE;
        }
        return Socks5CommandStatus.ADDRESS_UNSUPPORTED;
    }

    private static Socks5CommandStatus statusFor(Throwable cause) {
        if (cause instanceof BlockedTargetException) {
            return Socks5CommandStatus.FORBIDDEN;
        }
        if (cause instanceof UnknownHostException || cause instanceof ConnectTimeoutException || cause instanceof NoRouteToHostException) {
            return Socks5CommandStatus.HOST_UNREACHABLE;
        }
        if (cause instanceof ConnectException) {
            return Socks5CommandStatus.CONNECTION_REFUSED;
        }
        return Socks5CommandStatus.FAILURE;
    }

    /** RFC 1928 section 6: on a failure reply the server closes the connection shortly after. */
    private static void replyAndClose(ChannelHandlerContext ctx, Socks5CommandStatus status) {
        if (!ctx.channel().isActive()) {
            return;
        }
        ctx.writeAndFlush(new DefaultSocks5CommandResponse(status, Socks5AddressType.IPv4)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseEarly();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseEarly();
    }

    private void releaseEarly() {
        ByteBuf pending;
        while ((pending = early.poll()) != null) {
            pending.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /**
     * Netty's decoder of the SOCKS5 request (RFC 1928 section 4), except that a request whose VER octet is not 5 fails
     * with {@link UnsupportedVersionException}, and one whose ATYP is known but whose address Netty refuses fails with
     * {@link UnusableAddressException}: Netty fails these and an unknown ATYP alike (a {@code DecoderException}, told
     * apart only by its message or cause), and the three get different replies.
     */
    static final class RequestDecoder extends Socks5CommandRequestDecoder {

        private boolean versionChecked;
        private boolean discarding;

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            if (discarding) {
                in.skipBytes(actualReadableBytes());
                return;
            }
            if (!versionChecked) {
                byte version = in.getByte(in.readerIndex()); // decode is only called with at least one byte buffered
                versionChecked = true;
                if (version != SocksVersion.SOCKS5.byteValue()) {
                    // Like Netty's own failure: the rest of the connection is discarded, the handler replies and closes.
                    discarding = true;
                    in.skipBytes(actualReadableBytes());
                    DefaultSocks5CommandRequest failed = new DefaultSocks5CommandRequest(Socks5CommandType.CONNECT,
                            Socks5AddressType.IPv4, "0.0.0.0", 1);
                    failed.setDecoderResult(DecoderResult.failure(new UnsupportedVersionException(version)));
                    out.add(failed);
                    return;
                }
            }
            int start = in.readerIndex();
            int decodedBefore = out.size();
            super.decode(ctx, in, out);
            // Netty's decoder fails a request only after it read the ATYP octet (start + 3, still in the buffer): for an
            // unknown one, and when building the request refuses the address, which for a DOMAINNAME means
            // IDN.toASCII refused the name (a label over 63 octets, RFC 1035 section 2.3.4; an empty label; an octet
            // outside ASCII, read as U+FFFD). The address type is valid there (RFC 1928 section 5: 1 to 255 octets).
            if (out.size() > decodedBefore && out.get(decodedBefore) instanceof Socks5CommandRequest request
                    && request.decoderResult().isFailure() && isKnownAddressType(in.getByte(start + 3))) {
                request.setDecoderResult(DecoderResult.failure(new UnusableAddressException(request.decoderResult().cause())));
            }
        }

        private static boolean isKnownAddressType(byte atyp) {
            return atyp == Socks5AddressType.IPv4.byteValue() || atyp == Socks5AddressType.DOMAIN.byteValue()
                    || atyp == Socks5AddressType.IPv6.byteValue();
        }
    }

    /**
     * A SOCKS5 request whose ATYP is valid but whose address cannot be used: a DOMAINNAME that is no host name (only
     * DOMAINNAME in practice; IPv4 and IPv6 addresses are read from raw octets and are always valid). Answered like a name
     * that does not resolve, nothing looked up. Found by a hostile review (L4): {@code 'a' * 255}, valid under RFC 1928
     * section 5, got X'08' "address type not supported", while a dotted 255-octet name got X'04'.
     */
    static final class UnusableAddressException extends DecoderException {

        UnusableAddressException(Throwable cause) {
            super("SOCKS request address cannot be used: " + cause.getMessage(), cause);
        }
    }

    /** A SOCKS5 request (after the greeting and authentication) whose VER octet is not 5. */
    static final class UnsupportedVersionException extends DecoderException {

        UnsupportedVersionException(byte version) {
            super("SOCKS request version " + (version & 0xFF) + ", expected 5");
        }
    }
}
