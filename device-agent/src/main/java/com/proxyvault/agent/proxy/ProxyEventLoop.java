package com.proxyvault.agent.proxy;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The event loops that carry customer traffic. Kept apart from Quarkus's Vert.x loops on purpose:
 * a burst of proxy traffic must not delay the gRPC link to the fleet or the health checks, and the
 * data plane can be sized on its own later.
 *
 * <p>On Linux (x86_64, aarch64) the loops use Netty's native epoll transport, which spends less CPU per
 * connection than the JDK's NIO selector (fewer system calls, edge-triggered); elsewhere NIO.
 *
 * <p>Origin names are resolved here too, asynchronously (Netty's DNS resolver, one per event loop,
 * honouring /etc/hosts and /etc/resolv.conf), so a slow DNS server never blocks an event loop.
 */
@Singleton
public class ProxyEventLoop implements AutoCloseable {

    /**
     * One loop per core, not Netty's default of two: every loop only waits on sockets, so more loops than
     * cores add thread switches and smaller batches per epoll_wait. bench/proxy, CONNECT with a new tunnel
     * per 1 KiB request on 2 cores: 132 µs of agent CPU per request with 2 loops, 143-172 µs with 4.
     */
    static final int LOOPS = Runtime.getRuntime().availableProcessors();

    private final boolean epoll = Epoll.isAvailable();
    private final EventLoopGroup group = epoll
            ? new EpollEventLoopGroup(LOOPS, new DefaultThreadFactory("proxy-io", true))
            : new NioEventLoopGroup(LOOPS, new DefaultThreadFactory("proxy-io", true));
    private final DnsAddressResolverGroup resolvers = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
            .datagramChannelType(datagramChannelType())
            .socketChannelType(socketChannelType()));

    /**
     * Listening sockets of the transport in use, for {@code bindAddress}. With epoll an IPv4 address gets an
     * AF_INET socket (Netty's default is a dual-stack AF_INET6 one, which answers IPv4 through mapped addresses
     * and costs an extra {@code setsockopt(IPV6_V6ONLY)} per socket); an IPv6 address keeps the dual-stack one.
     */
    ChannelFactory<ServerSocketChannel> serverChannelFactory(InetAddress bindAddress) {
        if (!epoll) {
            return NioServerSocketChannel::new;
        }
        InternetProtocolFamily family = familyOf(bindAddress);
        return () -> new EpollServerSocketChannel(family);
    }

    /**
     * Connection sockets of the transport in use, for connecting to {@code remote}: with epoll an AF_INET socket
     * for an IPv4 origin (see {@link #serverChannelFactory}), else Netty's default.
     */
    ChannelFactory<SocketChannel> socketChannelFactory(InetAddress remote) {
        if (!epoll) {
            return NioSocketChannel::new;
        }
        InternetProtocolFamily family = familyOf(remote);
        return () -> new EpollSocketChannel(family);
    }

    private static InternetProtocolFamily familyOf(InetAddress address) {
        return address instanceof Inet4Address ? InternetProtocolFamily.IPv4 : InternetProtocolFamily.IPv6;
    }

    /** Connection sockets of the transport in use (the resolver's TCP fallback). */
    Class<? extends SocketChannel> socketChannelType() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /**
     * The loops that each accept on a listener's port. With epoll every loop has a listening socket of its own
     * on the port ({@code SO_REUSEPORT}; the kernel spreads new connections over them), so a connection is
     * accepted and served on the same loop: no hand-off to another loop's thread (a task, an eventfd write and
     * a wake-up of that thread per connection). With NIO one socket on the whole group, which hands each
     * accepted connection to the next loop.
     */
    List<EventLoopGroup> acceptGroups() {
        List<EventLoopGroup> groups = new ArrayList<>();
        if (epoll) {
            group.forEach(loop -> groups.add((EventLoop) loop));
        } else {
            groups.add(group);
        }
        return groups;
    }

    /** True when {@link #acceptGroups()} are one loop each, sharing the port through {@code SO_REUSEPORT}. */
    boolean acceptsPerLoop() {
        return epoll;
    }

    private Class<? extends DatagramChannel> datagramChannelType() {
        return epoll ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    /** "epoll" or "nio". */
    public String transport() {
        return epoll ? "epoll" : "nio";
    }

    public EventLoopGroup group() {
        return group;
    }

    /** The resolver of {@code loop}: its lookups complete on that loop. */
    AddressResolver<InetSocketAddress> resolver(EventLoop loop) {
        return resolvers.getResolver(loop);
    }

    @PreDestroy
    @Override
    public void close() {
        resolvers.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
