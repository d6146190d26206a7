package com.proxyvault.agent.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
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
        if (finished || !(msg instanceof HttpObject)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response && !responseStarted) {
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                // 1xx (e.g. 103 Early Hints): the customer gets only the final response.
                skippingInterimResponse = true;
            } else {
                responseStarted = true;
                prepareForCustomer(response);
            }
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

    private void prepareForCustomer(HttpResponse response) {
        // Without its own length or chunking, the end of the body is the end of the connection.
        keepCustomerAlive = customerWantsKeepAlive && hasOwnFraming(response);
        HttpProxyHandler.removeHopByHopHeaders(response.headers());
        if (!keepCustomerAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (customerVersion.equals(HttpVersion.HTTP_1_0)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    private boolean hasOwnFraming(HttpResponse response) {
        int code = response.status().code();
        return headRequest
                || code == HttpResponseStatus.NO_CONTENT.code()
                || code == HttpResponseStatus.NOT_MODIFIED.code()
                || HttpUtil.isContentLengthSet(response)
                || HttpUtil.isTransferEncodingChunked(response);
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
