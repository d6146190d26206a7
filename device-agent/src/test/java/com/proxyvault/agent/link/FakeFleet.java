package com.proxyvault.agent.link;

import com.proxyvault.contracts.agent.v1.AgentLinkGrpc;
import com.proxyvault.contracts.agent.v1.AgentMessage;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.Heartbeat;
import com.proxyvault.contracts.agent.v1.Hello;
import com.proxyvault.contracts.agent.v1.Welcome;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for proxy-fleet-service's AgentLink endpoint, in the test JVM, so the agent's side
 * of the protocol can be tested alone: it records what the agent sends and lets a test send
 * commands and drop the stream.
 */
public final class FakeFleet extends AgentLinkGrpc.AgentLinkImplBase {

    static final int HEARTBEAT_SECONDS = 1;

    private final BlockingQueue<Hello> hellos = new LinkedBlockingQueue<>();
    private final Map<String, CompletableFuture<CommandResult>> results = new ConcurrentHashMap<>();
    /** When each command's CommandAck / CommandResult arrived (System.nanoTime). */
    private final Map<String, CompletableFuture<Long>> ackedAt = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Long>> answeredAt = new ConcurrentHashMap<>();
    private final AtomicInteger nextCommandId = new AtomicInteger();
    private volatile Hello latestHello;
    private volatile Heartbeat latestHeartbeat;
    private volatile StreamObserver<FleetMessage> toAgent;
    private volatile boolean welcomeAgents = true;
    private Server server;

    void start() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(this).build().start();
    }

    int port() {
        return server.getPort();
    }

    void stop() {
        server.shutdownNow();
    }

    @Override
    public StreamObserver<AgentMessage> connect(StreamObserver<FleetMessage> stream) {
        return new StreamObserver<>() {
            @Override
            public void onNext(AgentMessage message) {
                switch (message.getBodyCase()) {
                    case HELLO -> {
                        toAgent = stream;
                        latestHello = message.getHello();
                        hellos.add(message.getHello());
                        if (welcomeAgents) {
                            welcome();
                        }
                    }
                    case HEARTBEAT -> latestHeartbeat = message.getHeartbeat();
                    case RESULT -> {
                        answeredAt.computeIfAbsent(message.getResult().getCommandId(), id -> new CompletableFuture<>())
                                .complete(System.nanoTime());
                        results.computeIfAbsent(message.getResult().getCommandId(), id -> new CompletableFuture<>())
                                .complete(message.getResult());
                    }
                    case ACK -> ackedAt.computeIfAbsent(message.getAck().getCommandId(), id -> new CompletableFuture<>())
                            .complete(System.nanoTime());
                    default -> { }
                }
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                stream.onCompleted();
            }
        };
    }

    void welcomeAgents(boolean welcome) {
        this.welcomeAgents = welcome;
    }

    void welcome() {
        send(FleetMessage.newBuilder().setCommandId("welcome")
                .setWelcome(Welcome.newBuilder().setHeartbeatIntervalSeconds(HEARTBEAT_SECONDS)));
    }

    /** Sends a command on the agent's current stream and waits for its CommandResult. */
    CommandResult command(FleetMessage.Builder command) throws Exception {
        return result(sendCommand(command));
    }

    /** Sends a command (a new command id, the builder's timeout_ms) and returns its id at once. */
    String sendCommand(FleetMessage.Builder command) {
        String commandId = "cmd-" + nextCommandId.incrementAndGet();
        results.computeIfAbsent(commandId, id -> new CompletableFuture<>());
        send(command.setCommandId(commandId));
        return commandId;
    }

    CommandResult result(String commandId) throws Exception {
        return results.computeIfAbsent(commandId, id -> new CompletableFuture<>()).get(30, TimeUnit.SECONDS);
    }

    /** When the command's CommandAck arrived (System.nanoTime); waits up to 30 s for it. */
    long ackedAt(String commandId) throws Exception {
        return ackedAt.computeIfAbsent(commandId, id -> new CompletableFuture<>()).get(30, TimeUnit.SECONDS);
    }

    /** Whether the command's CommandResult has arrived (without waiting). */
    boolean hasResult(String commandId) {
        CompletableFuture<Long> answered = answeredAt.get(commandId);
        return answered != null && answered.isDone();
    }

    /** When the command's CommandResult arrived (System.nanoTime); waits up to 30 s for it. */
    long answeredAt(String commandId) throws Exception {
        return answeredAt.computeIfAbsent(commandId, id -> new CompletableFuture<>()).get(30, TimeUnit.SECONDS);
    }

    /** Ends the agent's stream the way a fleet restart would. */
    void dropAgent() {
        StreamObserver<FleetMessage> stream = toAgent;
        toAgent = null;
        synchronized (this) {
            stream.onError(Status.UNAVAILABLE.withDescription("fleet restarting").asRuntimeException());
        }
    }

    Hello latestHello() {
        return latestHello;
    }

    Heartbeat latestHeartbeat() {
        return latestHeartbeat;
    }

    boolean agentConnected() {
        return toAgent != null;
    }

    void forgetHellos() {
        hellos.clear();
    }

    Hello awaitNextHello() throws InterruptedException {
        Hello hello = hellos.poll(30, TimeUnit.SECONDS);
        if (hello == null) {
            throw new AssertionError("The agent did not say Hello within 30 s");
        }
        return hello;
    }

    // StreamObserver isn't thread-safe: tests and the welcome path send from different threads.
    private synchronized void send(FleetMessage.Builder message) {
        StreamObserver<FleetMessage> stream = toAgent;
        if (stream == null) {
            throw new IllegalStateException("No agent is connected");
        }
        stream.onNext(message.build());
    }
}
