package com.proxyvault.agent.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the bytes of one proxy's customer connections, at the very front of each connection's pipeline
 * (so what is counted is what crossed the socket: request heads, SOCKS handshakes and error answers
 * included, TCP/IP headers not). {@code bytesIn} = bytes received from customers (uploads, requests),
 * {@code bytesOut} = bytes sent to customers (downloads, answers). One instance per listener, shared by
 * its connections; {@link LongAdder}s keep the many event loops from contending.
 */
@ChannelHandler.Sharable
final class TrafficCounter extends ChannelDuplexHandler {

    static final String NAME = "traffic";

    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();

    long bytesIn() {
        return bytesIn.sum();
    }

    long bytesOut() {
        return bytesOut.sum();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        bytesIn.add(size(msg));
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        bytesOut.add(size(msg));
        ctx.write(msg, promise);
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf buf) {
            return buf.readableBytes();
        }
        if (msg instanceof ByteBufHolder holder) {
            return holder.content().readableBytes();
        }
        return 0;
    }
}
