package com.proxyvault.agent.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Holds the raw bytes a customer sends while its CONNECT tunnel's origin is still connecting, in front of the
 * HTTP codec, so they are neither parsed as HTTP nor lost. The customer connection thus keeps reading while the
 * origin connects: switching reading off and on again would cost two {@code epoll_ctl} calls per tunnel
 * (bench/proxy, docs/benchmarks.md), and a client rarely sends anything before its {@code 200} anyway.
 *
 * <p>When the handler is removed from the pipeline it passes what it holds on, in order, to the handlers behind
 * it (the tunnel relay once the tunnel stands; the HTTP codec again if the CONNECT failed and the connection
 * stays open), or releases it when the connection is already closed. Past {@link #MAX_HELD_BYTES} it stops
 * reading the customer (TCP back-pressure); whoever removes it switches reading on again.
 */
final class EarlyBytes extends ChannelInboundHandlerAdapter {

    static final String NAME = "early-bytes";
    /** Bytes held at most before the customer is no longer read: a flood while connecting stays in the kernel. */
    static final int MAX_HELD_BYTES = 64 * 1024;

    private final Deque<ByteBuf> held = new ArrayDeque<>();
    private long heldBytes;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        held.add(bytes);
        heldBytes += bytes.readableBytes();
        if (heldBytes > MAX_HELD_BYTES) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        boolean open = ctx.channel().isActive();
        boolean passed = false;
        ByteBuf bytes;
        while ((bytes = held.poll()) != null) {
            if (open) {
                ctx.fireChannelRead(bytes);
                passed = true;
            } else {
                bytes.release();
            }
        }
        if (passed) {
            ctx.fireChannelReadComplete();
        }
    }
}
