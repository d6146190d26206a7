package com.proxyvault.agent.bench;

import com.proxyvault.agent.modems.ModemSpec;
import com.proxyvault.agent.modems.SimulatedModemDriver;
import com.proxyvault.agent.proxy.OriginPolicy;
import com.proxyvault.agent.proxy.ProxyAssignment;
import com.proxyvault.agent.proxy.ProxyCredentials;
import com.proxyvault.agent.proxy.ProxyEventLoop;
import com.proxyvault.agent.proxy.ProxyListeners;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The agent's data path alone, for bench/proxy: one proxy listener (HTTP + SOCKS5 on one port, the same
 * {@link ProxyListeners} code the agent runs, default limits and timeouts) with the given credentials,
 * allowlisting the bench's loopback origin. No gRPC link: bench/proxy measures the data path only.
 *
 * <p>{@code java ... ProxyBenchServer <port> <username> <password> <origin host:port>}; prints "ready" once
 * the port accepts connections, runs until killed.
 */
public final class ProxyBenchServer {

    private ProxyBenchServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        ProxyEventLoop eventLoop = new ProxyEventLoop();
        ProxyListeners listeners = new ProxyListeners(eventLoop, "127.0.0.1", OriginPolicy.allowing(List.of(args[3])));
        listeners.open(new ProxyAssignment(1, port, new ProxyCredentials(args[1], args[2]),
                new SimulatedModemDriver(new ModemSpec("bench-1", "LAX", false, "203.0.113.1")))).get(10, TimeUnit.SECONDS);
        System.out.println("ready (" + eventLoop.transport() + ")");
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
