package com.proxyvault.agent.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
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
 * customer's connection is kept only when that head frames the body itself. An invalid chunk after the head went out
 * closes the customer's connection without a last chunk, so the body is seen as incomplete, never as whole.
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

    OriginResponseRelay(HttpProxyHandler proxyHandler, ChannelHandlerContext customerCtx, boolean customerWantsKeepAlive,
                        boolean headRequest, HttpVersion customerVersion) {
        this.proxyHandler = proxyHandler;
        this.customerCtx = customerCtx;
        this.customerWantsKeepAlive = customerWantsKeepAlive;
        this.headRequest = headRequest;
        this.customerVersion = customerVersion;
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
            // follow. Closed without the last chunk (the encoder would write one for this part), so the customer sees
            // an incomplete message (RFC 9112 section 8) rather than a truncated body ending like a whole one.
            ReferenceCountUtil.release(msg);
            finished = true;
            ctx.close();
            customerCtx.close();
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
        keepCustomerAlive = customerWantsKeepAlive && (bodyless
                || HttpUtil.isContentLengthSet(response)
                || HttpUtil.isTransferEncodingChunked(response));
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
            customerCtx.close(); // cut mid-body: the customer must not mistake a partial body for a whole one
        } else {
            proxyHandler.originFailedBeforeResponse(customerCtx, customerVersion, customerWantsKeepAlive);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
