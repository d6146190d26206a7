package com.proxyvault.agent.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
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
 *   <li><b>Request-head phase</b> ({@link ConnectionLimits}): the connection counts against the agent's caps on
 *       connections without a complete request from arming until the request is complete: for SOCKS5 and a bodyless
 *       HTTP request that is when the timer is disarmed; an HTTP request with a body stays counted until its body's
 *       end ({@link #requestHeadArrived} stops the head timer, so a slow upload is not cut by it, but a head
 *       announcing a body that never comes does not take the connection out of the caps). Re-armed past a cap (a
 *       kept-alive connection whose source already has its fill), the connection is closed once its answer is out.</li>
 *   <li><b>Body read gap</b>: while a counted connection waits for the rest of a body, it may go at most the
 *       request-head timeout without receiving a byte (nginx's {@code client_body_timeout}, Apache's
 *       {@code RequestReadTimeout body=}); then it is closed without an answer. A slow upload that keeps moving goes
 *       on; a stalled one no longer holds its counted place for the idle timeout (verification review of the
 *       2026-12-03 fixes, M1: 4,096 heads announcing 16 MB kept the head-phase cap full for 300 s). No cap on the
 *       whole body: a 16 MiB upload over a slow mobile link takes minutes, and a client that trickles a byte per gap
 *       needs credentials first ({@link ProtocolDetector.BodyAggregator} answers a body request without them on its
 *       head).</li>
 *   <li><b>Idle</b>: an {@link IdleStateHandler} placed before this handler reports when no byte went
 *       either way for {@link ProxySettings#idleTimeout()}; the connection is closed then (keep-alive waits,
 *       tunnels, relays alike).</li>
 *   <li><b>Half-closed tunnel</b>: once the customer of a CONNECT or SOCKS5 tunnel has sent FIN, the idle
 *       limit becomes the request-head timeout ({@link #customerHalfClosed}). A FIN may be a half-close (the
 *       customer still reads the answer) or a full close, and TCP tells them apart only when the agent writes
 *       to the customer (a closed socket answers with a reset, which ends the tunnel at once). An origin that
 *       neither answers nor closes would otherwise keep both sockets for the whole idle timeout.</li>
 * </ul>
 * Runs on the connection's event loop only; the timer is a task on that loop, no thread of its own.
 */
final class ConnectionTimeouts extends ChannelInboundHandlerAdapter {

    static final String NAME = "timeouts";
    static final String IDLE_NAME = "idle";

    private static final Logger LOG = Logger.getLogger(ConnectionTimeouts.class);

    private final long requestHeadTimeoutNanos;
    private final ConnectionLimits.Admission admission;
    private ChannelHandlerContext ctx;
    /** The request-head timer, or while a body is awaited the body read-gap check; null when neither runs. */
    private ScheduledFuture<?> headTimer;
    /** A request head arrived whose body has not all arrived yet ({@link #requestHeadArrived}). */
    private boolean bodyPending;
    /** The body read-gap check runs: {@link #lastReadNanos} is kept up. */
    private boolean watchingBody;
    /** {@link System#nanoTime()} of the last read while {@link #watchingBody}. */
    private long lastReadNanos;
    /** An answer that closes the connection, due when the protocol handler is next ready for a request ({@link #whenReady}). */
    private Runnable closingAnswer;

    /**
     * @param admission what the connection holds of the agent's connection limits; it was admitted in its
     *                  request-head phase
     */
    ConnectionTimeouts(Duration requestHeadTimeout, ConnectionLimits.Admission admission) {
        this.requestHeadTimeoutNanos = requestHeadTimeout.toNanos();
        this.admission = admission;
    }

    /**
     * The protocol handler of the connection behind {@code pipeline} is ready for its next request (answered the last
     * one on a kept-alive connection): the request-head timer starts again and the connection is back in its
     * request-head phase, or it is closed once the answer is out when that phase is full for its source or in all.
     */
    static void armRequestHeadTimer(ChannelPipeline pipeline) {
        ConnectionTimeouts timeouts = pipeline.get(ConnectionTimeouts.class);
        if (timeouts != null) {
            timeouts.arm();
        }
    }

    /**
     * The request is complete (the SOCKS5 command; an HTTP request ends in {@link ProtocolDetector.BodyAggregator}): the
     * timer stops and the request-head phase ends.
     */
    static void disarmRequestHeadTimer(ChannelPipeline pipeline) {
        ConnectionTimeouts timeouts = pipeline.get(ConnectionTimeouts.class);
        if (timeouts != null) {
            timeouts.requestComplete();
        }
    }

    /**
     * An HTTP request head is complete. The head timer stops (a slow upload is not cut by it), but the connection stays
     * in its request-head phase until {@link #requestComplete()}; with {@code bodyFollows} (a {@code Content-Length}
     * above 0 or chunked) the body read-gap check starts in its place while the connection is counted (a request
     * pipelined behind one being answered is not, and the agent does not read meanwhile: the check starts when the
     * connection is ready for it, {@link #arm}).
     */
    void requestHeadArrived(boolean bodyFollows) {
        disarm();
        bodyPending = bodyFollows;
        if (bodyFollows && admission.inHeadPhase()) {
            watchBody();
        }
    }

    /** The request is complete: the timer (or the body read-gap check) stops and the request-head phase ends. */
    void requestComplete() {
        disarm();
        bodyPending = false;
        admission.leaveHeadPhase();
    }

    /**
     * True while the protocol handler waits for the request being received: the connection is in its request-head
     * phase, so no answer to an earlier request is due before an answer to this one.
     */
    boolean awaitingRequest() {
        return admission.inHeadPhase();
    }

    /**
     * Runs {@code closingAnswer}, which answers the request being received and closes the connection, now if the protocol
     * handler waits for that request ({@link #awaitingRequest()}); else the next time the handler is ready for a request,
     * instead of re-arming: the answers to requests pipelined ahead of it go out first (RFC 9112 9.3.2: responses in the
     * order of the requests).
     */
    void whenReady(Runnable closingAnswer) {
        if (awaitingRequest()) {
            closingAnswer.run();
        } else {
            this.closingAnswer = closingAnswer;
        }
    }

    /**
     * The customer behind {@code pipeline} sent FIN in a tunnel: from now on the connection may pass no byte either
     * way for at most the request-head timeout (the answer has to keep coming), no longer the idle timeout.
     * No-op on a pipeline without these timeouts (an origin connection).
     */
    static void customerHalfClosed(ChannelPipeline pipeline) {
        ConnectionTimeouts timeouts = pipeline.get(ConnectionTimeouts.class);
        if (timeouts != null && pipeline.get(IDLE_NAME) != null) {
            pipeline.replace(IDLE_NAME, IDLE_NAME,
                    new IdleStateHandler(0, 0, timeouts.requestHeadTimeoutNanos, TimeUnit.NANOSECONDS));
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        arm();
    }

    private void arm() {
        disarm();
        if (closingAnswer != null) {
            Runnable answer = closingAnswer;
            closingAnswer = null;
            answer.run();
            return;
        }
        if (!admission.enterHeadPhase()) {
            // Past a cap: the answer just written is flushed first (an empty write queues behind it), then the close.
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (bodyPending) {
            watchBody(); // its head came while the request ahead was answered: now its body is awaited, counted
            return;
        }
        headTimer = ctx.executor().schedule(() -> {
            if (ctx.channel().isActive()) {
                LOG.debugf("Closing %s: no complete request within the request-head timeout", ctx.channel());
                ctx.close();
            }
        }, requestHeadTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Starts the body read-gap check: one task that, when due, closes the connection if nothing was read for the
     * request-head timeout, else runs again when that much time has passed since the last read (as Netty's
     * {@link IdleStateHandler} does): one timestamp per read, no timer re-armed per read.
     */
    private void watchBody() {
        watchingBody = true;
        lastReadNanos = System.nanoTime();
        headTimer = ctx.executor().schedule(this::checkBodyGap, requestHeadTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void checkBodyGap() {
        headTimer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long quietNanos = System.nanoTime() - lastReadNanos;
        if (quietNanos >= requestHeadTimeoutNanos) {
            LOG.debugf("Closing %s: no byte of the request body within the request-head timeout", ctx.channel());
            ctx.close();
            return;
        }
        headTimer = ctx.executor().schedule(this::checkBodyGap, requestHeadTimeoutNanos - quietNanos, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        watchingBody = false;
        if (headTimer != null) {
            headTimer.cancel(false);
            headTimer = null;
        }
    }

    /** Keeps the body read-gap check's timestamp; any byte counts, a chunk's size line too. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (watchingBody) {
            lastReadNanos = System.nanoTime();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            LOG.debugf("Closing %s: idle (or a half-closed tunnel quiet past the request-head timeout)", ctx.channel());
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
