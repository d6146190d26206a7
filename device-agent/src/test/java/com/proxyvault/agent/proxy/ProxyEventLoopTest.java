package com.proxyvault.agent.proxy;

import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProxyEventLoopTest {

    @Test
    void shouldRunOneEventLoopPerCore() {
        try (ProxyEventLoop eventLoop = new ProxyEventLoop()) {
            Set<EventExecutor> loops = new HashSet<>();
            eventLoop.group().forEach(loops::add);
            assertEquals(Runtime.getRuntime().availableProcessors(), loops.size(),
                    "one loop per core: more loops than cores only add thread switches (docs/device-agent.md)");
        }
    }

    @Test
    void shouldCreateSocketsWithTcpNoDelayWithoutBeingAsked() throws Exception {
        // ProxyListener no longer sets TCP_NODELAY itself (it would be a second setsockopt per socket): it relies
        // on the transport switching it on for every socket it creates, IPv4 and IPv6 alike.
        try (ProxyEventLoop eventLoop = new ProxyEventLoop()) {
            for (String address : new String[] {"127.0.0.1", "::1"}) {
                SocketChannel channel = eventLoop.socketChannelFactory(InetAddress.getByName(address)).newChannel();
                try {
                    assertTrue(channel.config().isTcpNoDelay(), "TCP_NODELAY on a new socket for " + address);
                } finally {
                    channel.unsafe().closeForcibly();
                }
            }
        }
    }

    @Test
    void shouldAcceptOnEveryLoopWithEpoll() {
        try (ProxyEventLoop eventLoop = new ProxyEventLoop()) {
            int expected = eventLoop.acceptsPerLoop() ? ProxyEventLoop.LOOPS : 1;
            assertEquals(expected, eventLoop.acceptGroups().size(),
                    "epoll: a listening socket per loop (SO_REUSEPORT), so no accepted connection changes threads");
        }
    }
}
