package com.proxyvault.agent.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
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
    static final String HTTP_HEAD_WATCH = "http-head-watch";
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
        ProxySettings settings = listener.settings();
        ChannelPipeline pipeline = ctx.pipeline();
        // Too long a request line or header block comes out of the codec as a failed message
        // (TooLongHttpLineException / TooLongHttpHeaderException): HttpProxyHandler answers 414 / 431.
        pipeline.addAfter(ctx.name(), HTTP_CODEC, new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(settings.maxRequestLineBytes())
                .setMaxHeaderSize(settings.maxHeaderBytes())));
        pipeline.addAfter(HTTP_CODEC, HTTP_HEAD_WATCH, new RequestHeadWatch());
        pipeline.addAfter(HTTP_HEAD_WATCH, HTTP_AGGREGATOR, new HttpObjectAggregator(MAX_REQUEST_BYTES));
        pipeline.addAfter(HTTP_AGGREGATOR, HTTP_PROXY, new HttpProxyHandler(listener));
        pipeline.remove(this);
    }

    /** Stops the request-head timer as soon as a request head is decoded (before its body is read). */
    static final class RequestHeadWatch extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                ConnectionTimeouts.disarmRequestHeadTimer(ctx.pipeline());
            }
            ctx.fireChannelRead(msg);
        }
    }
}
