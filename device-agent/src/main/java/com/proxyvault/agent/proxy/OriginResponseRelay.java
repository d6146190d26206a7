package com.proxyvault.agent.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * On the origin connection of one forwarded request: streams the decoded response back to the
 * customer piece by piece (a large download is never held in memory), then closes the origin
 * connection and tells {@link HttpProxyHandler} whether the customer connection can stay open.
 *
 * <p>Framing (docs/device-agent.md "Responses from the origin"): the head is judged by {@link ResponseFraming} before
 * anything is written to the customer; a head it refuses (or Netty's decoder could not read) is answered {@code 502}
 * and the origin connection closed, the customer's connection staying as it was (nothing of the response reached
 * it). The head that goes out is the agent's own: HTTP/1.1 (RFC 9110 section 2.5), hop-by-hop fields removed, for an
 * HTTP/1.0 customer no {@code Transfer-Encoding} (a chunked body goes out decoded, delimited by the close), and the
 * customer's connection is kept only when that head frames the body itself.
 *
 * <p>An origin message that ends early once the head went out (an invalid chunk, or the origin's close before the last
 * chunk or the {@code Content-Length}th byte) aborts the customer's response: no 502 can follow a head. Where the head
 * that went out frames the body ({@code Content-Length}, chunked), closing without the rest is enough: the client sees
 * an incomplete message (RFC 9112 section 8). Where the customer's body is delimited by the close (an HTTP/1.0 customer
 * getting a de-chunked body), a close would be read as the body's end, so the connection is reset instead (SO_LINGER 0,
 * then close: RST, on epoll and NIO alike). Found by a new user: {@code curl -0} exited 0 on a cut chunked body.
 *
 * <p>An early answer (docs/device-agent.md "An early answer"): an origin may answer a request with a body before it has
 * read the body, and close or reset the connection without reading it (RFC 9110 section 10.1.1; nginx's 413, a 401
 * before an upload, a firewall's 403). The agent is then still writing the body, and the write fails. The origin
 * connection runs with auto-close off, so that failure shuts down only its output: the relay keeps reading, and the
 * answer that came before the reset is relayed by the rules above; only a connection that ends without a final head is
 * answered {@code 502}. A reset also means the end of the connection may not be the end of the origin's message: a body
 * delimited by the close that ends in one is aborted like a cut body (RFC 9112 section 8). Found by a hostile review
 * (M3): the failed write closed the origin connection, the answer already in its socket was never read, and the
 * customer got 502 "The origin closed the connection without a response".
 */
final class OriginResponseRelay extends ChannelInboundHandlerAdapter {

    private final HttpProxyHandler proxyHandler;
    private final ChannelHandlerContext customerCtx;
    private final boolean customerWantsKeepAlive;
    private final boolean headRequest;
    private final HttpVersion customerVersion;

    private boolean responseStarted;
    private boolean finished;
    private boolean skippingInterimResponse;
    private boolean keepCustomerAlive;
    /** The head that went out has no length and no chunking: the customer reads the body until the connection ends. */
    private boolean closeDelimited;
    /**
     * The origin connection failed on the socket (a write or a read failed: in practice the origin's reset), so its end
     * says nothing about where the origin's message ends.
     */
    private boolean connectionFailed;

    OriginResponseRelay(HttpProxyHandler proxyHandler, ChannelHandlerContext customerCtx, boolean customerWantsKeepAlive,
                        boolean headRequest, HttpVersion customerVersion) {
        this.proxyHandler = proxyHandler;
        this.customerCtx = customerCtx;
        this.customerWantsKeepAlive = customerWantsKeepAlive;
        this.headRequest = headRequest;
        this.customerVersion = customerVersion;
    }

    /**
     * Auto-close off: by default Netty closes a channel whose socket write fails, and with it what the origin sent and
     * the agent has not read yet; without it the failure shuts down the output only (see {@link #requestWritten}).
     * Runs in the origin channel's initializer, before it connects.
     */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoClose(false);
    }

    /**
     * Listener of the forwarded request's write, on the origin connection's event loop. A failure on the socket (an
     * {@link IOException}: the origin reset the connection, typically after an early answer, before it read the whole
     * body) has shut down the connection's output only (auto-close is off): it goes on reading, what the origin sent
     * before the reset is relayed as it comes, and a connection that ends without a final head is answered 502 in
     * {@link #channelInactive}. That end is near: a reset socket reads to its end at once. A write that failed because
     * the connection was closed ({@link ClosedChannelException}: by the relay after a whole response or a refused head,
     * by the origin's FIN, by the customer leaving) needs nothing more, and is no sign of a reset. Any other failure
     * (the request could not be encoded) closes the connection, as before.
     */
    void requestWritten(ChannelFuture written) {
        Throwable cause = written.cause();
        if (cause == null || finished || cause instanceof ClosedChannelException) {
            return;
        }
        if (cause instanceof IOException) {
            connectionFailed = true;
            return;
        }
        written.channel().close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (finished || !(msg instanceof HttpObject part)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response && !responseStarted) {
            boolean bodyless = isBodyless(response);
            String refusal = ResponseFraming.refusal(response, bodyless, customerVersion);
            if (refusal != null) {
                ReferenceCountUtil.release(msg);
                finished = true;
                ctx.close(); // whatever the origin sends after a head we cannot frame is never read
                proxyHandler.originResponseRefused(customerCtx, customerVersion, customerWantsKeepAlive, refusal);
                return;
            }
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                // 1xx (e.g. 103 Early Hints): the customer gets only the final response.
                skippingInterimResponse = true;
            } else {
                responseStarted = true;
                prepareForCustomer(response, bodyless);
            }
        } else if (part.decoderResult().isFailure()) {
            // An invalid chunk size or chunk end (the decoder's failed last part): the head is out, so no 502 can
            // follow. Not written (the encoder would turn this part into a last chunk): the response is aborted.
            ReferenceCountUtil.release(msg);
            finished = true;
            ctx.close();
            abortCustomerResponse();
            return;
        }
        boolean last = msg instanceof LastHttpContent;
        if (skippingInterimResponse) {
            ReferenceCountUtil.release(msg);
            if (last) {
                skippingInterimResponse = false;
            }
            return;
        }
        if (last && closeDelimited && connectionFailed) {
            // RFC 9112 section 8: a body delimited by the close is complete "unless an error was indicated by the
            // underlying connection"; after a reset this end may be where the reset cut the body, not the origin's.
            ReferenceCountUtil.release(msg);
            finished = true;
            ctx.close();
            abortCustomerResponse();
            return;
        }
        Channel customer = customerCtx.channel();
        customer.writeAndFlush(msg);
        if (!customer.isWritable()) {
            ctx.channel().config().setAutoRead(false); // resumed by HttpProxyHandler.channelWritabilityChanged
        }
        if (last) {
            finished = true;
            ctx.close();
            proxyHandler.responseRelayed(customerCtx, keepCustomerAlive);
        }
    }

    /** RFC 9112 section 6.3 items 1 and 2: these end at the empty line after the head, whatever their fields say. */
    private boolean isBodyless(HttpResponse response) {
        int code = response.status().code();
        return headRequest
                || response.status().codeClass() == HttpStatusClass.INFORMATIONAL
                || code == HttpResponseStatus.NO_CONTENT.code()
                || code == HttpResponseStatus.NOT_MODIFIED.code();
    }

    private void prepareForCustomer(HttpResponse response, boolean bodyless) {
        HttpHeaders headers = response.headers();
        HttpProxyHandler.removeHopByHopHeaders(headers);
        // RFC 9110 2.5: an intermediary sends its own version. Also keeps an HTTP/1.0 origin's answer, whose length the
        // agent has read, from ending a 1.1 customer's connection for no reason.
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (HttpVersion.HTTP_1_0.equals(customerVersion)) {
            // HTTP/1.0 has no transfer codings (RFC 9112 6.1). ResponseFraming let only chunked alone through, which the
            // decoder undid: without the field the encoder writes the content as it is, delimited by the close below.
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        }
        // Judged on the head as it goes out: without its own length or chunking, the end of the body is the end of the
        // connection.
        closeDelimited = !bodyless
                && !HttpUtil.isContentLengthSet(response)
                && !HttpUtil.isTransferEncodingChunked(response);
        keepCustomerAlive = customerWantsKeepAlive && !closeDelimited;
        if (!keepCustomerAlive) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (customerVersion.equals(HttpVersion.HTTP_1_0)) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (finished) {
            return;
        }
        finished = true;
        if (responseStarted) {
            // Cut mid-body: the decoder passed no last part (it does for a body that ends at the close, which ends
            // the response above), so the origin's message is incomplete.
            abortCustomerResponse();
        } else {
            proxyHandler.originFailedBeforeResponse(customerCtx, customerVersion, customerWantsKeepAlive);
        }
    }

    /**
     * Ends the customer's connection so that its client cannot take the body it got for a whole one (RFC 9112 section
     * 8: a message whose framing says more was due is incomplete). A close does that when the head framed the body; a
     * body delimited by the close needs a TCP reset, the one end a client cannot read as the body's end: SO_LINGER 0
     * makes the close send RST (what is still in the socket's send buffer is dropped with it; the message was
     * incomplete anyway). Netty's epoll and NIO channels both close a socket with SO_LINGER 0 at once, without the
     * shutdown they do for a positive linger.
     */
    private void abortCustomerResponse() {
        Channel customer = customerCtx.channel();
        // Only on an open socket (setting an option on a closed one throws); both connections share one event loop, so
        // the customer cannot close between the check and the close.
        if (closeDelimited && customer.isOpen()) {
            customer.config().setOption(ChannelOption.SO_LINGER, 0);
        }
        customerCtx.close();
    }

    /**
     * A read that failed on the socket (the origin's reset) ends the connection like a close, after what was read before
     * it went through {@link #channelRead}; it is noted so that a body delimited by the close is not taken for whole.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            connectionFailed = true;
        }
        ctx.close();
    }
}
