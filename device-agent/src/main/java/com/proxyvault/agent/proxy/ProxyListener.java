package com.proxyvault.agent.proxy;

import com.proxyvault.agent.modems.ModemDriver;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Promise;
import org.jboss.logging.Logger;

import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One proxy: a listening socket on its port plus every connection it accepted and every origin
 * connection made for them, so that closing the listener cuts all of its traffic at once.
 */
public final class ProxyListener {

    private static final Logger LOG = Logger.getLogger(ProxyListener.class);

    static final int ORIGIN_CONNECT_TIMEOUT_MILLIS = 10_000;

    private final long proxyId;
    private final int port;
    // Re-provisioning the same proxy on the same port swaps these without dropping the socket.
    private volatile ProxyCredentials credentials;
    private volatile ModemDriver modem;
    private final ChannelGroup connections;
    private final ProxyEventLoop eventLoop;
    private final OriginPolicy originPolicy;
    private final ProxySettings settings;
    /** The agent's, shared by all its listeners: connections in all and per source, buffered request bodies. */
    private final ConnectionLimits limits;
    private final BodyBudget bodyBudget;
    private final TrafficCounter traffic = new TrafficCounter();
    private final long countingSinceEpochMs;
    /** The listening sockets of the port (one per event loop with epoll), empty until bound. */
    private volatile List<Channel> serverChannels = List.of();
    /**
     * The OS fingerprint (NONE, LINUX, MACOS, WINDOWS) the fleet wants this proxy to present. The TTL and MSS are
     * the host's nftables rules (com.proxyvault.agent.fingerprint); this listener only sets the origin sockets'
     * receive buffer for it ({@link #useOriginReceiveBuffer}).
     */
    private volatile String fingerprint = "NONE";
    /** SO_RCVBUF of new origin connections in bytes (sets their SYN's window scale); 0 = the kernel's default. */
    private volatile int originReceiveBufferBytes;

    ProxyListener(ProxyAssignment assignment, ProxyEventLoop eventLoop, OriginPolicy originPolicy, ProxySettings settings,
                  ConnectionLimits limits, BodyBudget bodyBudget, Clock clock) {
        this.countingSinceEpochMs = clock.millis();
        this.eventLoop = eventLoop;
        this.originPolicy = originPolicy;
        this.settings = settings;
        this.limits = limits;
        this.bodyBudget = bodyBudget;
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

    /** Bytes received from this proxy's customers since {@link #countingSinceEpochMs()}. */
    public long bytesIn() {
        return traffic.bytesIn();
    }

    /** Bytes sent to this proxy's customers since {@link #countingSinceEpochMs()}. */
    public long bytesOut() {
        return traffic.bytesOut();
    }

    /**
     * When this listener's byte counters started at zero (epoch milliseconds): a new value means new
     * counters (the proxy was opened again, or the agent restarted), so totals are not comparable across it.
     */
    public long countingSinceEpochMs() {
        return countingSinceEpochMs;
    }

    /** Connections of this proxy open right now: its customers' and the origin connections made for them. */
    int openConnections() {
        return connections.size();
    }

    ProxySettings settings() {
        return settings;
    }

    BodyBudget bodyBudget() {
        return bodyBudget;
    }

    ConnectionLimits limits() {
        return limits;
    }

    public String fingerprint() {
        return fingerprint;
    }

    public void recordFingerprint(String fingerprint) {
        this.fingerprint = fingerprint;
    }

    /**
     * New origin connections get {@code SO_RCVBUF} = {@code bytes} before they connect, so their SYN announces the
     * window scale that buffer implies (0: the kernel's default). Connections already open keep theirs.
     */
    public void useOriginReceiveBuffer(int bytes) {
        this.originReceiveBufferBytes = Math.max(0, bytes);
    }

    public int originReceiveBufferBytes() {
        return originReceiveBufferBytes;
    }

    void reassign(ProxyAssignment assignment) {
        this.credentials = assignment.credentials();
        this.modem = assignment.modem();
    }

    /**
     * Completes once the port accepts connections; fails with {@link ProxyException} if it can't. With epoll
     * the port gets one listening socket per event loop ({@code SO_REUSEPORT}, {@link ProxyEventLoop#acceptGroups()}),
     * so each connection is accepted and served by one thread; a port held by anything else still fails the bind
     * (the kernel only lets sockets that all set {@code SO_REUSEPORT}, of the same user, share a port).
     */
    CompletableFuture<Void> bind(String bindHost) {
        InetSocketAddress address = new InetSocketAddress(bindHost, port);
        List<EventLoopGroup> groups = eventLoop.acceptGroups();
        List<ChannelFuture> binds = new ArrayList<>();
        for (EventLoopGroup group : groups) {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(group)
                    .channelFactory(eventLoop.serverChannelFactory(address.getAddress()))
                    // TCP_NODELAY is not set here: Netty's socket channels switch it on when they are created
                    // (PlatformDependent.canEnableTcpNoDelayByDefault()), and a childOption would set it a
                    // second time, one more setsockopt per connection.
                    // A customer's FIN is a half-close: what it asked for is still answered (TunnelRelay). A channel
                    // config flag, no system call.
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel customer) {
                            ConnectionLimits.Admission admission = limits.admit(customer);
                            if (admission == null) {
                                reset(customer);
                                return;
                            }
                            connections.add(customer);
                            customer.pipeline()
                                    .addLast(TrafficCounter.NAME, traffic)
                                    .addLast(ConnectionTimeouts.IDLE_NAME, new IdleStateHandler(0, 0,
                                            settings.idleTimeout().toNanos(), TimeUnit.NANOSECONDS))
                                    .addLast(ConnectionTimeouts.NAME, new ConnectionTimeouts(settings.requestHeadTimeout(), admission))
                                    .addLast(ProtocolDetector.NAME, new ProtocolDetector(ProxyListener.this));
                        }
                    });
            if (eventLoop.acceptsPerLoop()) {
                bootstrap.option(UnixChannelOption.SO_REUSEPORT, true);
            }
            binds.add(bootstrap.bind(address));
        }
        CompletableFuture<Void> bound = new CompletableFuture<>();
        CompletableFuture.allOf(binds.stream().map(ProxyListener::completion).toArray(CompletableFuture[]::new))
                .whenComplete((ignored, alsoIgnored) -> {
            Throwable failure = binds.stream().map(ChannelFuture::cause).filter(Objects::nonNull).findFirst().orElse(null);
            if (failure == null) {
                serverChannels = binds.stream().map(ChannelFuture::channel).toList();
                limits.listeningSockets(serverChannels.size());
                bound.complete(null);
                return;
            }
            binds.stream().filter(ChannelFuture::isSuccess).forEach(ok -> ok.channel().close()); // all sockets or none
            if (failure instanceof BindException) {
                bound.completeExceptionally(new ProxyException("port " + port + " is already in use on this host", failure));
            } else {
                bound.completeExceptionally(new ProxyException("cannot listen on port " + port + ": " + failure.getMessage(), failure));
            }
        });
        return bound;
    }

    /**
     * Opens a connection to an origin on behalf of {@code customer}, leaving through this proxy's
     * modem. It runs on the customer's event loop so relaying between the two needs no hand-off, and
     * the returned future completes there too.
     *
     * <p>The target is resolved first (asynchronously, never blocking the loop) and the address is
     * checked against the {@link OriginPolicy}; the connection then goes to exactly that address, so a
     * second DNS answer can't slip a private address in between. Fails with
     * {@link BlockedTargetException} (nothing connected) for a refused address, with an
     * {@link java.net.UnknownHostException} when the name doesn't resolve, or with the connect's cause.
     */
    Future<Channel> connectToOrigin(Channel customer, HostAndPort target, ChannelHandler originHandler, boolean autoRead) {
        EventLoop loop = customer.eventLoop();
        Promise<Channel> connected = loop.newPromise();
        // An IP literal needs no lookup: checked and connected in this same task, without the resolver's
        // promises and an extra turn of the loop (most CONNECT and SOCKS5 targets of clients that resolve
        // themselves are literals).
        InetAddress literal = NetUtil.createInetAddressFromIpAddressString(target.host());
        if (literal != null) {
            connectResolved(customer, target, new InetSocketAddress(literal, target.port()), originHandler, autoRead, connected);
            return connected;
        }
        InetSocketAddress unresolved = InetSocketAddress.createUnresolved(target.host(), target.port());
        eventLoop.resolver(loop).resolve(unresolved).addListener((Future<InetSocketAddress> resolution) -> {
            if (!resolution.isSuccess()) {
                connected.setFailure(resolution.cause());
                return;
            }
            connectResolved(customer, target, resolution.getNow(), originHandler, autoRead, connected);
        });
        return connected;
    }

    /** Checks {@code remote} against the policy and connects to exactly it; runs on the customer's loop. */
    private void connectResolved(Channel customer, HostAndPort target, InetSocketAddress remote, ChannelHandler originHandler,
                                 boolean autoRead, Promise<Channel> connected) {
        if (!originPolicy.permits(target.host(), target.port(), remote.getAddress())) {
            LOG.debugf("Proxy %d refused %s:%d (%s): not a public address", proxyId, target.host(), target.port(),
                    remote.getAddress().getHostAddress());
            connected.setFailure(new BlockedTargetException(target.host()));
            return;
        }
        if (!customer.isActive()) {
            connected.setFailure(new ClosedChannelException()); // gone (or released) while resolving
            return;
        }
        Bootstrap bootstrap = new Bootstrap()
                .group(customer.eventLoop())
                .channelFactory(eventLoop.socketChannelFactory(remote.getAddress()))
                .disableResolver() // resolved and checked above: no second lookup
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, ORIGIN_CONNECT_TIMEOUT_MILLIS)
                // TCP_NODELAY: on by Netty's default already (see bind), not set twice
                .option(ChannelOption.AUTO_READ, autoRead)
                .handler(originHandler);
        int receiveBuffer = originReceiveBufferBytes;
        if (receiveBuffer > 0) {
            bootstrap.option(ChannelOption.SO_RCVBUF, receiveBuffer); // set before connect: it shapes the SYN
        }
        ChannelFuture connect = modem.egressBindAddress()
                .map(local -> bootstrap.connect(remote, new InetSocketAddress(local, 0)))
                .orElseGet(() -> bootstrap.connect(remote));
        connections.add(connect.channel());
        connect.addListener((ChannelFuture done) -> {
            if (done.isSuccess()) {
                connected.setSuccess(done.channel());
            } else {
                connected.setFailure(done.cause());
            }
        });
    }

    /**
     * A connection over one of the agent's limits ({@link ConnectionLimits}) is closed with a TCP reset before any handler
     * is added for it: SO_LINGER 0, so its descriptor is free at once and no TIME_WAIT is left (the client sees
     * "connection reset"). It never reaches this listener's connections or byte counters.
     */
    private static void reset(SocketChannel customer) {
        customer.config().setOption(ChannelOption.SO_LINGER, 0);
        customer.close();
    }

    /** Stops accepting and closes every connection of this proxy. */
    CompletableFuture<Void> close() {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        List<Channel> servers = serverChannels;
        serverChannels = List.of();
        limits.listeningSockets(-servers.size());
        if (servers.isEmpty()) {
            connections.close();
            closed.complete(null);
            return closed;
        }
        CompletableFuture.allOf(servers.stream().map(server -> completion(server.close())).toArray(CompletableFuture[]::new))
                .whenComplete((ignored, alsoIgnored) -> connections.close().addListener(notEither -> closed.complete(null)));
        return closed;
    }

    /** Completes (normally, whatever the outcome) when {@code future} is done. */
    private static CompletableFuture<Void> completion(ChannelFuture future) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        future.addListener(ignored -> done.complete(null));
        return done;
    }

    @Override
    public String toString() {
        return "proxy " + proxyId + " on port " + port + " via " + modem.modemId();
    }
}
