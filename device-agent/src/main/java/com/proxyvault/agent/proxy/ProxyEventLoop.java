package com.proxyvault.agent.proxy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import java.util.concurrent.TimeUnit;

/**
 * The event loops that carry customer traffic. Kept apart from Quarkus's Vert.x loops on purpose:
 * a burst of proxy traffic must not delay the gRPC link to the fleet or the health checks, and the
 * data plane can be sized on its own later.
 */
@Singleton
public class ProxyEventLoop implements AutoCloseable {

    private final EventLoopGroup group = new NioEventLoopGroup(0, new DefaultThreadFactory("proxy-io", true));

    public EventLoopGroup group() {
        return group;
    }

    @PreDestroy
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
