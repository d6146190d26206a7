package com.proxyvault.agent.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

import java.util.List;

/**
 * First handler of every customer connection: looks at the first byte and installs the pipeline
 * for the protocol the customer speaks, then steps aside (the bytes it buffered go on to the new
 * handlers). One port can so serve several protocols; SOCKS5 plugs in here
 * (a SOCKS version byte is 0x05, an HTTP request starts with a method name in ASCII).
 */
final class ProtocolDetector extends ByteToMessageDecoder {

    static final String NAME = "protocol-detector";
    static final String HTTP_CODEC = "http-codec";
    static final String HTTP_AGGREGATOR = "http-aggregator";
    static final String HTTP_PROXY = "http-proxy";

    private static final byte SOCKS4_VERSION = 0x04;
    private static final byte SOCKS5_VERSION = 0x05;
    /** Request bodies are buffered whole before forwarding; uploads through a proxy are small. */
    private static final int MAX_REQUEST_BYTES = 16 * 1024 * 1024;

    private final ProxyListener listener;

    ProtocolDetector(ProxyListener listener) {
        this.listener = listener;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        byte first = in.getByte(in.readerIndex());
        if (first == SOCKS5_VERSION || first == SOCKS4_VERSION) {
            // Not served yet: closing is what a client expects from a proxy that doesn't speak SOCKS.
            in.skipBytes(in.readableBytes());
            ctx.close();
            return;
        }
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.addAfter(ctx.name(), HTTP_CODEC, new HttpServerCodec());
        pipeline.addAfter(HTTP_CODEC, HTTP_AGGREGATOR, new HttpObjectAggregator(MAX_REQUEST_BYTES));
        pipeline.addAfter(HTTP_AGGREGATOR, HTTP_PROXY, new HttpProxyHandler(listener));
        pipeline.remove(this);
    }
}
