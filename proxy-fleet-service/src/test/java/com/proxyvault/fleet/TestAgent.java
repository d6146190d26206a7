package com.proxyvault.fleet;

import com.proxyvault.contracts.agent.v1.AgentMessage;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.Hello;
import com.proxyvault.contracts.agent.v1.ModemInfo;
import com.proxyvault.contracts.agent.v1.MutinyAgentLinkGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A scripted agent speaking the real protocol over a real gRPC stream to the fleet under test; the test
 * decides how it answers each command. (The real device-agent is exercised end to end in system-tests.)
 */
class TestAgent implements AutoCloseable {

    final BlockingQueue<FleetMessage> received = new LinkedBlockingQueue<>();
    final AtomicReference<Throwable> streamError = new AtomicReference<>();
    private final ManagedChannel channel;
    private final UnicastProcessor<AgentMessage> outbound = UnicastProcessor.create();

    TestAgent(int port) {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        MutinyAgentLinkGrpc.newMutinyStub(channel).connect(outbound)
                .subscribe().with(received::add, streamError::set);
    }

    /**
     * Announces one modem per location, with ids {@code <modemPrefix>0, <modemPrefix>1, ...}, as an agent from
     * before command acks (protocol_version 0): the fleet waits for results only.
     */
    void hello(String agentId, String token, int portStart, int portEnd, String modemPrefix, String... modemLocations) {
        hello(0, agentId, token, portStart, portEnd, modemPrefix, modemLocations);
    }

    /** As {@link #hello(String, String, int, int, String, String...)}, saying {@code protocolVersion} (2: acks commands). */
    void hello(int protocolVersion, String agentId, String token, int portStart, int portEnd, String modemPrefix,
               String... modemLocations) {
        String[] exitIps = new String[modemLocations.length];
        for (int i = 0; i < modemLocations.length; i++) {
            exitIps[i] = "203.0.113." + (10 + i);
        }
        helloWithExitIps(protocolVersion, agentId, token, portStart, portEnd, modemPrefix, modemLocations, exitIps);
    }

    /**
     * As {@link #hello(int, String, String, int, int, String, String...)}, each modem announced with its exit IP from
     * {@code exitIps} (pairwise with {@code modemLocations}; the empty string: none, as an agent without a bearer address).
     */
    void helloWithExitIps(int protocolVersion, String agentId, String token, int portStart, int portEnd, String modemPrefix,
                          String[] modemLocations, String[] exitIps) {
        Hello.Builder hello = Hello.newBuilder().setAgentId(agentId).setToken(token).setPublicHost("127.0.0.1")
                .setAgentVersion("test").setPortRangeStart(portStart).setPortRangeEnd(portEnd)
                .setProtocolVersion(protocolVersion);
        for (int i = 0; i < modemLocations.length; i++) {
            hello.addModems(ModemInfo.newBuilder().setModemId(modemPrefix + i).setLocationId(modemLocations[i])
                    .setExitIp(exitIps[i]));
        }
        outbound.onNext(AgentMessage.newBuilder().setHello(hello).build());
    }

    /** A heartbeat reporting one proxy's running byte totals since {@code since} (epoch ms). */
    void heartbeat(long proxyId, long bytesIn, long bytesOut, long since) {
        outbound.onNext(AgentMessage.newBuilder().setHeartbeat(com.proxyvault.contracts.agent.v1.Heartbeat.newBuilder()
                .setSentAtEpochMs(System.currentTimeMillis())
                .addTraffic(com.proxyvault.contracts.agent.v1.ProxyTraffic.newBuilder().setProxyId(proxyId)
                        .setBytesIn(bytesIn).setBytesOut(bytesOut).setCountingSinceEpochMs(since))).build());
    }

    /** One heartbeat reporting several proxies' running byte totals: each report is {proxy_id, bytes_in, bytes_out, since}. */
    void heartbeat(long[]... reports) {
        var heartbeat = com.proxyvault.contracts.agent.v1.Heartbeat.newBuilder().setSentAtEpochMs(System.currentTimeMillis());
        for (long[] r : reports) {
            heartbeat.addTraffic(com.proxyvault.contracts.agent.v1.ProxyTraffic.newBuilder().setProxyId(r[0])
                    .setBytesIn(r[1]).setBytesOut(r[2]).setCountingSinceEpochMs(r[3]));
        }
        outbound.onNext(AgentMessage.newBuilder().setHeartbeat(heartbeat).build());
    }

    /** A heartbeat reporting one proxy served on {@code port} (0: an agent that does not say), no bytes. */
    void heartbeatOnPort(long proxyId, int port) {
        outbound.onNext(AgentMessage.newBuilder().setHeartbeat(com.proxyvault.contracts.agent.v1.Heartbeat.newBuilder()
                .setSentAtEpochMs(System.currentTimeMillis())
                .addTraffic(com.proxyvault.contracts.agent.v1.ProxyTraffic.newBuilder().setProxyId(proxyId).setPort(port)
                        .setCountingSinceEpochMs(1))).build());
    }

    /**
     * A heartbeat of an agent of protocol 3 ("lists every proxy it serves"): exactly {@code proxyIds}, each on its port
     * ({@code ports}, pairwise) with {@code fingerprint}; none: it serves nothing.
     */
    void heartbeatServing(com.proxyvault.contracts.agent.v1.Fingerprint fingerprint, long[] proxyIds, int... ports) {
        var heartbeat = com.proxyvault.contracts.agent.v1.Heartbeat.newBuilder().setSentAtEpochMs(System.currentTimeMillis());
        for (int i = 0; i < proxyIds.length; i++) {
            heartbeat.addTraffic(com.proxyvault.contracts.agent.v1.ProxyTraffic.newBuilder().setProxyId(proxyIds[i])
                    .setPort(ports[i]).setCountingSinceEpochMs(1).setFingerprint(fingerprint));
        }
        outbound.onNext(AgentMessage.newBuilder().setHeartbeat(heartbeat).build());
    }

    /** A heartbeat reporting one modem's exit IP (as an agent does for each modem, every heartbeat). */
    void heartbeatWithExitIp(String modemId, String exitIp) {
        outbound.onNext(AgentMessage.newBuilder().setHeartbeat(com.proxyvault.contracts.agent.v1.Heartbeat.newBuilder()
                .setSentAtEpochMs(System.currentTimeMillis())
                .addModems(com.proxyvault.contracts.agent.v1.ModemStatus.newBuilder().setModemId(modemId).setOnline(true)
                        .setExitIp(exitIp))).build());
    }

    /** A heartbeat reporting several modems' exit IPs: {@code modemAndIp} is {modem id, exit IP, modem id, exit IP, ...}. */
    void heartbeatWithExitIps(String... modemAndIp) {
        var heartbeat = com.proxyvault.contracts.agent.v1.Heartbeat.newBuilder().setSentAtEpochMs(System.currentTimeMillis());
        for (int i = 0; i < modemAndIp.length; i += 2) {
            heartbeat.addModems(com.proxyvault.contracts.agent.v1.ModemStatus.newBuilder().setModemId(modemAndIp[i])
                    .setOnline(true).setExitIp(modemAndIp[i + 1]));
        }
        outbound.onNext(AgentMessage.newBuilder().setHeartbeat(heartbeat).build());
    }

    /** "Received": the CommandAck an agent of protocol 2 sends when a command arrives. */
    void ack(FleetMessage command) {
        outbound.onNext(AgentMessage.newBuilder().setAck(com.proxyvault.contracts.agent.v1.CommandAck.newBuilder()
                .setCommandId(command.getCommandId())).build());
    }

    void answer(FleetMessage command, boolean ok, String error) {
        outbound.onNext(AgentMessage.newBuilder().setResult(CommandResult.newBuilder()
                .setCommandId(command.getCommandId()).setOk(ok).setError(error)).build());
    }

    /**
     * {@code ok=false, attempted=true}: what an agent answers when it started the action on the device and it failed
     * (a ResetIp whose modem did not come back), so it may be partly or wholly done.
     */
    void answerAttempted(FleetMessage command, String error) {
        outbound.onNext(AgentMessage.newBuilder().setResult(CommandResult.newBuilder()
                .setCommandId(command.getCommandId()).setOk(false).setAttempted(true).setError(error)).build());
    }

    void answerWithExitIp(FleetMessage command, String exitIp) {
        outbound.onNext(AgentMessage.newBuilder().setResult(CommandResult.newBuilder()
                .setCommandId(command.getCommandId()).setOk(true).setExitIp(exitIp)).build());
    }

    FleetMessage next(Duration timeout) throws InterruptedException {
        FleetMessage message = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (message == null) {
            throw new AssertionError("The fleet sent nothing within " + timeout + (streamError.get() == null ? "" : "; stream failed: " + streamError.get()));
        }
        return message;
    }

    @Override
    public void close() throws InterruptedException {
        outbound.onComplete();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
