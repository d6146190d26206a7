package com.proxyvault.agent.proxy;

import com.proxyvault.agent.modems.ModemDriver;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * One proxy: a listening socket on its port plus every connection it accepted and every origin
 * connection made for them, so that closing the listener cuts all of its traffic at once.
 */
public final class ProxyListener {

    static final int ORIGIN_CONNECT_TIMEOUT_MILLIS = 10_000;

    private final long proxyId;
    private final int port;
    // Re-provisioning the same proxy on the same port swaps these without dropping the socket.
    private volatile ProxyCredentials credentials;
    private volatile ModemDriver modem;
    private final ChannelGroup connections;
    private volatile Channel serverChannel;
    /**
     * The OS fingerprint (NONE, LINUX, MACOS, WINDOWS) the fleet wants this proxy to present.
     * Only recorded for now; shaping the TCP/IP stack by it belongs to the real modem drivers.
     */
    private volatile String fingerprint = "NONE";

    ProxyListener(ProxyAssignment assignment) {
        this.proxyId = assignment.proxyId();
        this.port = assignment.port();
        this.credentials = assignment.credentials();
        this.modem = assignment.modem();
        this.connections = new DefaultChannelGroup("proxy-" + proxyId, GlobalEventExecutor.INSTANCE);
    }

    public long proxyId() {
        return proxyId;
    }

    public int port() {
        return port;
    }

    public ProxyCredentials credentials() {
        return credentials;
    }

    public ModemDriver modem() {
        return modem;
    }

    public String fingerprint() {
        return fingerprint;
    }

    public void recordFingerprint(String fingerprint) {
        this.fingerprint = fingerprint;
    }

    void reassign(ProxyAssignment assignment) {
        this.credentials = assignment.credentials();
        this.modem = assignment.modem();
    }

    /** Completes once the port accepts connections; fails with {@link ProxyException} if it can't. */
    CompletableFuture<Void> bind(EventLoopGroup group, String bindHost) {
        CompletableFuture<Void> bound = new CompletableFuture<>();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel customer) {
                        connections.add(customer);
                        customer.pipeline().addLast(ProtocolDetector.NAME, new ProtocolDetector(ProxyListener.this));
                    }
                });
        bootstrap.bind(new InetSocketAddress(bindHost, port)).addListener((ChannelFuture future) -> {
            if (future.isSuccess()) {
                serverChannel = future.channel();
                bound.complete(null);
            } else if (future.cause() instanceof BindException) {
                bound.completeExceptionally(new ProxyException("port " + port + " is already in use on this host", future.cause()));
            } else {
                bound.completeExceptionally(new ProxyException("cannot listen on port " + port + ": " + future.cause().getMessage(), future.cause()));
            }
        });
        return bound;
    }

    /**
     * Opens a connection to an origin on behalf of {@code customer}, leaving through this proxy's
     * modem. It runs on the customer's event loop so relaying between the two needs no hand-off.
     */
    ChannelFuture connectToOrigin(Channel customer, HostAndPort target, ChannelHandler originHandler, boolean autoRead) {
        Bootstrap bootstrap = new Bootstrap()
                .group(customer.eventLoop())
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, ORIGIN_CONNECT_TIMEOUT_MILLIS)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, autoRead)
                .handler(originHandler);
        // Unresolved, so the name is looked up by Netty's resolver when connecting, and a lookup
        // failure is just a failed connect (answered with 502).
        InetSocketAddress remote = InetSocketAddress.createUnresolved(target.host(), target.port());
        ChannelFuture connect = modem.egressBindAddress()
                .map(local -> bootstrap.connect(remote, new InetSocketAddress(local, 0)))
                .orElseGet(() -> bootstrap.connect(remote));
        connections.add(connect.channel());
        return connect;
    }

    /** Stops accepting and closes every connection of this proxy. */
    CompletableFuture<Void> close() {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Channel server = serverChannel;
        if (server == null) {
            connections.close();
            closed.complete(null);
            return closed;
        }
        server.close().addListener(ignored -> connections.close().addListener(alsoIgnored -> closed.complete(null)));
        return closed;
    }

    @Override
    public String toString() {
        return "proxy " + proxyId + " on port " + port + " via " + modem.modemId();
    }
}
