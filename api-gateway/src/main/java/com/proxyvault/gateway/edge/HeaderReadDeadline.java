package com.proxyvault.gateway.edge;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose request headers are not complete within a deadline, counted from the
 * moment the connection opens or the previous response was written (slowloris; the header-read
 * timeout of nginx' {@code client_header_timeout} or Go's {@code ReadHeaderTimeout}). An idle timeout
 * alone is not enough: it restarts with every byte, so a client trickling one byte a second would hold
 * the connection forever.
 *
 * <p>Sits in the Netty pipeline between the HTTP codec and Vert.x' handler, so it sees whole requests
 * ({@link HttpRequest} = headers complete) coming in and the last part of each response going out.
 * While a request is being answered nothing is timed here: the upstream timeout bounds that phase.
 */
final class HeaderReadDeadline extends ChannelDuplexHandler {

    private final long timeoutMillis;
    private ScheduledFuture<?> timer;
    private int inFlight;

    HeaderReadDeadline(long timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            arm(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        arm(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest) {
            inFlight++;
            cancel();
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof LastHttpContent) {
            promise = promise.unvoid();
            promise.addListener(written -> {
                inFlight = Math.max(0, inFlight - 1);
                if (inFlight == 0 && ctx.channel().isActive()) {
                    arm(ctx);
                }
            });
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    private void arm(ChannelHandlerContext ctx) {
        cancel();
        timer = ctx.executor().schedule(() -> {
            if (inFlight == 0) {
                ctx.close();
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
