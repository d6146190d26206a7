package com.proxyvault.agent.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;

/**
 * Copies raw bytes from its channel to {@code peer}. Installed on both ends of a CONNECT or SOCKS5 tunnel;
 * when one end closes, the other is closed once what was written to it is flushed.
 *
 * <p><b>Half-close.</b> Customer connections allow half-closure ({@code ALLOW_HALF_CLOSURE}): a customer that sends
 * its request and then shuts down its sending side (FIN; {@code nc -N}, {@code printf ... | ncat}, many scripted
 * clients) still gets the answer. Its FIN is passed on as a FIN to the origin ({@code shutdownOutput} once what was
 * written to the origin is flushed), and the tunnel ends when the origin closes, when the customer turns out to have
 * closed for good (the origin's next bytes are answered with a reset), or when nothing has moved for the request-head
 * timeout ({@link ConnectionTimeouts#customerHalfClosed}): a FIN does not say whether the customer still reads, and an
 * origin that ignores it must not hold both sockets for the whole idle timeout. Origin connections do not allow it:
 * an origin's FIN ends the tunnel as before, so the common case (the origin closes first) costs no extra system call.
 * RFC 9110 9.3.6 asks a tunnel to send outstanding data from the closed side on before closing; RFC 9293 3.6 lets a
 * half-closed connection keep receiving.
 */
final class TunnelRelay extends ChannelInboundHandlerAdapter {

    private final Channel peer;

    TunnelRelay(Channel peer) {
        this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        peer.writeAndFlush(msg);
    }

    /** Back-pressure: stop reading the peer while our side can't keep up writing. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        peer.config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeOnFlush(peer);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            passOnCustomerFin(ctx.channel(), peer); // only customers allow half-closure, so this is the customer
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * The customer of a tunnel sent FIN: FIN to the origin once what was written to it is flushed, and the tunnel
     * may now stay quiet for the request-head timeout only ({@link ConnectionTimeouts#customerHalfClosed}).
     */
    static void passOnCustomerFin(Channel customer, Channel origin) {
        shutdownOutputOnFlush(origin);
        ConnectionTimeouts.customerHalfClosed(customer.pipeline());
    }

    /** Sends FIN on {@code channel} once everything written to it so far is flushed (Netty fails unflushed writes on shutdown). */
    static void shutdownOutputOnFlush(Channel channel) {
        if (!(channel instanceof DuplexChannel duplex)) {
            closeOnFlush(channel);
            return;
        }
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFuture flushed) -> {
                if (flushed.isSuccess()) {
                    duplex.shutdownOutput();
                }
            });
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset by either party ends the tunnel; nothing to report beyond closing.
        ctx.close();
    }

    static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
