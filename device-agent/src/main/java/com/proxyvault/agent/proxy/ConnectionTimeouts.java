package com.proxyvault.agent.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a customer connection that takes too long to say what it wants, or that goes quiet.
 *
 * <ul>
 *   <li><b>Request-head timer</b>: armed when the connection opens and again whenever the HTTP side is
 *       ready for the next request; disarmed by the protocol handler once a complete request head (HTTP)
 *       or a SOCKS5 CONNECT command has arrived. When it fires the connection is closed without an
 *       answer: a client that sent half a request line gets nothing (this is what keeps slowloris-style
 *       idle sockets from piling up).</li>
 *   <li><b>Idle</b>: an {@link io.netty.handler.timeout.IdleStateHandler} placed before this handler
 *       reports when no byte went either way for {@link ProxySettings#idleTimeout()}; the connection is
 *       closed then (keep-alive waits, tunnels, relays alike).</li>
 * </ul>
 * Runs on the connection's event loop only; the timer is a task on that loop, no thread of its own.
 */
final class ConnectionTimeouts extends ChannelInboundHandlerAdapter {

    static final String NAME = "timeouts";
    static final String IDLE_NAME = "idle";

    private static final Logger LOG = Logger.getLogger(ConnectionTimeouts.class);

    private final long requestHeadTimeoutNanos;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> headTimer;

    ConnectionTimeouts(Duration requestHeadTimeout) {
        this.requestHeadTimeoutNanos = requestHeadTimeout.toNanos();
    }

    /** Starts (or restarts) the request-head timer of the connection behind {@code pipeline}. */
    static void armRequestHeadTimer(ChannelPipeline pipeline) {
        ConnectionTimeouts timeouts = pipeline.get(ConnectionTimeouts.class);
        if (timeouts != null) {
            timeouts.arm();
        }
    }

    /** The request head (or SOCKS command) is complete: the request-head timer stops. */
    static void disarmRequestHeadTimer(ChannelPipeline pipeline) {
        ConnectionTimeouts timeouts = pipeline.get(ConnectionTimeouts.class);
        if (timeouts != null) {
            timeouts.disarm();
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        arm();
    }

    private void arm() {
        disarm();
        headTimer = ctx.executor().schedule(() -> {
            if (ctx.channel().isActive()) {
                LOG.debugf("Closing %s: no complete request within the request-head timeout", ctx.channel());
                ctx.close();
            }
        }, requestHeadTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (headTimer != null) {
            headTimer.cancel(false);
            headTimer = null;
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            LOG.debugf("Closing %s: idle", ctx.channel());
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
    }
}
