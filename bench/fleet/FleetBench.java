import com.google.protobuf.MessageLite;
import com.proxyvault.contracts.agent.v1.AgentMessage;
import com.proxyvault.contracts.agent.v1.CommandAck;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.Fingerprint;
import com.proxyvault.contracts.agent.v1.Heartbeat;
import com.proxyvault.contracts.agent.v1.Hello;
import com.proxyvault.contracts.agent.v1.ModemInfo;
import com.proxyvault.contracts.agent.v1.ModemStatus;
import com.proxyvault.contracts.agent.v1.ProxyTraffic;
import com.proxyvault.contracts.agent.v1.ServedProxy;
import com.proxyvault.contracts.agent.v1.Welcome;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.lite.ProtoLiteUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * bench/fleet (issue 8 "10k agents", issue 10 item 9): many device-agent gRPC streams against one target, run
 * through bench/fleet/run (docs/benchmarks.md, "bench/fleet").
 *
 * <p>{@code echo <port> <heartbeatSeconds>}: the reference, a minimal grpc-java bidi server of the same
 * {@code AgentLink/Connect} method: answers Hello with Welcome, counts heartbeats, holds the streams; nothing else.
 *
 * <p>{@code load --key value ...}: the load generator, the agents' real protocol (contracts' agent.proto):
 * Hello with the agent's token, its modems and served proxies, protocol 3; heartbeats at the interval the
 * Welcome names, phased at random over it, each with every modem's status and every proxy's cumulative byte
 * counters, port and fingerprint (the one the last SetFingerprint or ProvisionProxy named: the fleet checks each
 * heartbeat against what the agent should serve, docs/fleet.md "Heartbeats as reconciliation"); every command answered with a CommandAck at once and a CommandResult (ok) right after. Phases:
 * connect all agents (at most {@code --inflight} Hellos unanswered), {@code --warmup} s, a {@code --steady} s
 * window measuring the target's CPU, PostgreSQL's CPU and commits, then (with {@code --http}) paced
 * fingerprint calls through the fleet's REST API to random agents for the command round trip, then the
 * target's RSS and heap (jcmd, after a full GC). The last line of stdout is one JSON object.
 */
public class FleetBench {

    static final MethodDescriptor<AgentMessage, FleetMessage> CONNECT = MethodDescriptor.<AgentMessage, FleetMessage>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("proxyvault.agent.v1.AgentLink", "Connect"))
            .setRequestMarshaller(ProtoLiteUtils.marshaller(AgentMessage.getDefaultInstance()))
            .setResponseMarshaller(ProtoLiteUtils.marshaller(FleetMessage.getDefaultInstance()))
            .build();

    static final String[] LOCATIONS = {"LAX", "NYC", "MIA"};

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("echo")) {
            echo(Integer.parseInt(args[1]), Integer.parseInt(args[2]), args.length > 3 ? Integer.parseInt(args[3]) : 0,
                    args.length > 4 ? Integer.parseInt(args[4]) : 3, args.length > 5 ? args[5] : "bench-agent-");
        } else if (args.length > 0 && args[0].equals("load")) {
            new FleetBench(Options.parse(Arrays.copyOfRange(args, 1, args.length))).run();
        } else if (args.length > 0 && args[0].equals("tokens")) {
            // tokens <agents> <prefix> <file>: "id=token" pairs, comma separated, one line (the fleet's format)
            writeTokens(Integer.parseInt(args[1]), args[2], Path.of(args[3]));
        } else {
            System.err.println("usage: FleetBench echo <port> <heartbeatSeconds> [<httpPort> <proxiesPerAgent> <prefix>] | load --target host:port ... | tokens <n> <prefix> <file>");
            System.exit(2);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // helpers shared by the modes (pure; bench/fleet/test_fleet.py checks the Python side's copies)

    static String agentId(String prefix, int i) {
        return String.format(Locale.ROOT, "%s%05d", prefix, i);
    }

    /** The agent's token: derived from its id and a per-run secret, so the load generator needs no token file. */
    static String token(String secret, String agentId) throws Exception {
        var mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return java.util.HexFormat.of().formatHex(mac.doFinal(agentId.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
    }

    static void writeTokens(int agents, String prefix, Path file) throws Exception {
        String secret = System.getenv().getOrDefault("BENCH_TOKEN_SECRET", "bench-fleet");
        StringBuilder out = new StringBuilder(agents * 56);
        for (int i = 0; i < agents; i++) {
            if (i > 0) {
                out.append(',');
            }
            String id = agentId(prefix, i);
            out.append(id).append('=').append(token(secret, id));
        }
        Files.writeString(file, out.toString());
    }

    // ---------------------------------------------------------------------------------------------
    // the reference server

    /**
     * The reference. With {@code httpPort} > 0 it also answers {@code POST /v1/reseller/proxies/{id}/fingerprint}
     * the minimal way: the command down the stream of the agent serving proxy {@code id} (ids as the bench seeds
     * them: {@code proxiesPerAgent} per agent), then 200 once the agent's result is back. No token check, no
     * database: the floor of the fleet's command round trip on the same machine, tool and agents.
     */
    static void echo(int port, int heartbeatSeconds, int httpPort, int proxiesPerAgent, String prefix) throws Exception {
        AtomicInteger streams = new AtomicInteger();
        AtomicLong heartbeats = new AtomicLong();
        Map<String, StreamObserver<FleetMessage>> agentStreams = new ConcurrentHashMap<>();
        Map<String, java.util.concurrent.CompletableFuture<CommandResult>> pending = new ConcurrentHashMap<>();
        ServerServiceDefinition service = ServerServiceDefinition.builder(
                        ServiceDescriptor.newBuilder("proxyvault.agent.v1.AgentLink").addMethod(CONNECT).build())
                .addMethod(CONNECT, ServerCalls.asyncBidiStreamingCall(responses -> new StreamObserver<AgentMessage>() {
                    boolean open;
                    String agent;

                    @Override
                    public void onNext(AgentMessage message) {
                        if (message.hasHello() && !open) {
                            open = true;
                            agent = message.getHello().getAgentId();
                            agentStreams.put(agent, responses);
                            streams.incrementAndGet();
                            synchronized (responses) {
                                responses.onNext(FleetMessage.newBuilder()
                                        .setWelcome(Welcome.newBuilder().setHeartbeatIntervalSeconds(heartbeatSeconds)).build());
                            }
                        } else if (message.hasHeartbeat()) {
                            heartbeats.incrementAndGet();
                        } else if (message.hasResult()) {
                            var waiting = pending.remove(message.getResult().getCommandId());
                            if (waiting != null) {
                                waiting.complete(message.getResult());
                            }
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        end();
                    }

                    @Override
                    public void onCompleted() {
                        end();
                        responses.onCompleted();
                    }

                    private void end() {
                        if (open) {
                            open = false;
                            agentStreams.remove(agent, responses);
                            streams.decrementAndGet();
                        }
                    }
                }))
                .build();
        if (httpPort > 0) {
            var http = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", httpPort), 100);
            http.setExecutor(Executors.newFixedThreadPool(2));
            http.createContext("/v1/reseller/proxies/", exchange -> {
                int status = 503;
                try {
                    exchange.getRequestBody().readAllBytes();
                    String[] parts = exchange.getRequestURI().getPath().split("/");
                    long proxy = Long.parseLong(parts[4]);
                    StreamObserver<FleetMessage> stream = agentStreams.get(agentId(prefix, (int) ((proxy - 1) / proxiesPerAgent)));
                    if (stream != null) {
                        String id = java.util.UUID.randomUUID().toString();
                        var result = new java.util.concurrent.CompletableFuture<CommandResult>();
                        pending.put(id, result);
                        synchronized (stream) {
                            stream.onNext(FleetMessage.newBuilder().setCommandId(id).setTimeoutMs(10_000)
                                    .setSetFingerprint(com.proxyvault.contracts.agent.v1.SetFingerprint.newBuilder().setProxyId(proxy)).build());
                        }
                        status = result.get(10, TimeUnit.SECONDS).getOk() ? 200 : 503;
                    }
                } catch (Exception e) {
                    status = 500;
                }
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
            });
            http.start();
        }
        // grpc-java's own defaults otherwise (as the fleet's Quarkus gRPC server: Netty, NIO transport)
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .channelType(NioServerSocketChannel.class)
                .bossEventLoopGroup(new NioEventLoopGroup(1))
                .workerEventLoopGroup(new NioEventLoopGroup())
                .addService(service).build().start();
        System.out.println("echo server on 127.0.0.1:" + port);
        while (!server.isTerminated()) {
            server.awaitTermination(30, TimeUnit.SECONDS);
            System.out.println("streams " + streams.get() + " heartbeats " + heartbeats.get());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // the load generator

    record Options(String target, int agents, String prefix, String secret, int modems, int proxiesPerAgent,
                   String channels, int inflight, int warmup, int steady, long pid, String pgCommitsCmd, long pgPid,
                   String http, String jwtKey, int commands, double commandRate, int connectTimeout, String trace,
                   int commandWarmup) {
        static Options parse(String[] args) {
            Map<String, String> m = new HashMap<>();
            for (int i = 0; i + 1 < args.length; i += 2) {
                m.put(args[i].replaceFirst("^--", ""), args[i + 1]);
            }
            return new Options(m.getOrDefault("target", "127.0.0.1:9090"), Integer.parseInt(m.getOrDefault("agents", "10000")),
                    m.getOrDefault("prefix", "bench-agent-"), m.getOrDefault("secret", "bench-fleet"),
                    Integer.parseInt(m.getOrDefault("modems", "3")), Integer.parseInt(m.getOrDefault("proxies", "3")),
                    m.getOrDefault("channels", "per-agent"), Integer.parseInt(m.getOrDefault("inflight", "500")),
                    Integer.parseInt(m.getOrDefault("warmup", "30")), Integer.parseInt(m.getOrDefault("steady", "60")),
                    Long.parseLong(m.getOrDefault("pid", "0")), m.getOrDefault("pg-commits", ""),
                    Long.parseLong(m.getOrDefault("pg-pid", "0")), m.getOrDefault("http", ""),
                    m.getOrDefault("jwt-key", ""), Integer.parseInt(m.getOrDefault("commands", "300")),
                    Double.parseDouble(m.getOrDefault("command-rate", "10")),
                    Integer.parseInt(m.getOrDefault("connect-timeout", "300")), m.getOrDefault("trace", ""),
                    Integer.parseInt(m.getOrDefault("command-warmup", "0")));
        }
    }

    /** Proxy ids and ports of agent i: ids i*P+1 .. i*P+P (the bench seeds them so), ports 20000.. . */
    static long proxyId(int agent, int k, int perAgent) {
        return (long) agent * perAgent + k + 1;
    }

    private final Options o;
    private final NioEventLoopGroup group = new NioEventLoopGroup(2);
    private final java.util.concurrent.ExecutorService callbacks = Executors.newFixedThreadPool(2);
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
    private final List<ManagedChannel> channelsOpen = new ArrayList<>();
    private final Agent[] agents;
    private final AtomicLong heartbeatsSent = new AtomicLong();
    private final AtomicLong commandsAnswered = new AtomicLong();
    /** When the last command reached an agent and when its answer left (System.nanoTime): splits a round trip. */
    private volatile long commandArrivedNanos;
    private volatile long commandAnsweredNanos;
    private final AtomicInteger welcomed = new AtomicInteger();
    private final AtomicInteger streamErrors = new AtomicInteger();
    private final Map<String, AtomicInteger> errorKinds = new ConcurrentHashMap<>();
    private final Semaphore inflight;
    private final CountDownLatch allWelcomed;
    private volatile long firstHelloNanos;
    private volatile long allWelcomedNanos;
    private volatile boolean stopping;

    FleetBench(Options o) {
        this.o = o;
        this.agents = new Agent[o.agents()];
        this.inflight = new Semaphore(o.inflight());
        this.allWelcomed = new CountDownLatch(o.agents());
    }

    /** One simulated agent: its stream, its counters, its heartbeat timer. All sends under its lock. */
    final class Agent {
        final int index;
        final String id;
        final long countingSince = System.currentTimeMillis();
        final long[] bytesIn;
        final long[] bytesOut;
        final Fingerprint[] fingerprints;
        StreamObserver<AgentMessage> out;
        boolean welcomedOnce;
        boolean permitHeld;
        ScheduledFuture<?> heartbeat;
        long helloSentNanos;
        long welcomeNanos;

        Agent(int index) {
            this.index = index;
            this.id = agentId(o.prefix(), index);
            this.bytesIn = new long[o.proxiesPerAgent()];
            this.bytesOut = new long[o.proxiesPerAgent()];
            this.fingerprints = new Fingerprint[o.proxiesPerAgent()];
            Arrays.fill(fingerprints, Fingerprint.FINGERPRINT_NONE);
        }

        Hello hello() throws Exception {
            Hello.Builder b = Hello.newBuilder().setAgentId(id).setToken(token(o.secret(), id))
                    .setPublicHost("127.0.0.1").setAgentVersion("bench-fleet").setPortRangeStart(20000)
                    .setPortRangeEnd(20999).setProtocolVersion(3);
            for (int m = 0; m < o.modems(); m++) {
                b.addModems(ModemInfo.newBuilder().setModemId("m" + m).setLocationId(LOCATIONS[(index + m) % LOCATIONS.length])
                        .setIs5G(m % 2 == 0).setExitIp(exitIp(m)));
            }
            for (int k = 0; k < o.proxiesPerAgent(); k++) {
                b.addServedProxies(ServedProxy.newBuilder().setProxyId(proxyId(index, k, o.proxiesPerAgent())).setPort(20000 + k));
            }
            return b.build();
        }

        String exitIp(int modem) {
            return "198.18." + ((index * 7 + modem) % 250) + "." + (1 + (index + modem) % 250);
        }

        void connect(ManagedChannel channel) {
            if (stopping) {
                return;
            }
            try {
                inflight.acquire(); // outside the agent's lock: its callbacks must not wait for other agents' Welcomes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            synchronized (this) {
                open(channel);
            }
        }

        private void open(ManagedChannel channel) {
            permitHeld = true;
            out = ClientCalls.asyncBidiStreamingCall(channel.newCall(CONNECT, CallOptions.DEFAULT), new StreamObserver<>() {
                @Override
                public void onNext(FleetMessage message) {
                    onFleetMessage(message);
                }

                @Override
                public void onError(Throwable t) {
                    onEnd(channel, t);
                }

                @Override
                public void onCompleted() {
                    onEnd(channel, null);
                }
            });
            helloSentNanos = System.nanoTime();
            try {
                out.onNext(AgentMessage.newBuilder().setHello(hello()).build());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        synchronized void onFleetMessage(FleetMessage message) {
            if (message.hasWelcome()) {
                releasePermit();
                if (!welcomedOnce) {
                    welcomedOnce = true;
                    welcomeNanos = System.nanoTime();
                    welcomed.incrementAndGet();
                    allWelcomed.countDown();
                }
                long interval = Math.max(1, message.getWelcome().getHeartbeatIntervalSeconds()) * 1000L;
                if (heartbeat != null) {
                    heartbeat.cancel(false);
                }
                heartbeat = timers.scheduleAtFixedRate(this::sendHeartbeat,
                        ThreadLocalRandom.current().nextLong(interval), interval, TimeUnit.MILLISECONDS);
                return;
            }
            // a command: ack at once, then the result (ResetIp names a new exit IP)
            commandArrivedNanos = System.nanoTime();
            String commandId = message.getCommandId();
            out.onNext(AgentMessage.newBuilder().setAck(CommandAck.newBuilder().setCommandId(commandId)).build());
            CommandResult.Builder result = CommandResult.newBuilder().setCommandId(commandId).setOk(true);
            if (message.hasSetFingerprint()) {
                present(message.getSetFingerprint().getProxyId(), message.getSetFingerprint().getFingerprint());
            } else if (message.hasProvisionProxy() && message.getProvisionProxy().hasFingerprint()) {
                present(message.getProvisionProxy().getProxyId(), message.getProvisionProxy().getFingerprint());
            }
            if (message.hasResetIp()) {
                result.setExitIp("198.19." + ThreadLocalRandom.current().nextInt(250) + "." + (1 + ThreadLocalRandom.current().nextInt(250)));
            }
            out.onNext(AgentMessage.newBuilder().setResult(result).build());
            commandAnsweredNanos = System.nanoTime();
            commandsAnswered.incrementAndGet();
        }

        /** Records the profile a command gave one of this agent's proxies, as a real agent's listener does. */
        private void present(long proxyId, Fingerprint fingerprint) {
            long k = proxyId - proxyId(index, 0, o.proxiesPerAgent());
            if (k >= 0 && k < fingerprints.length) {
                fingerprints[(int) k] = fingerprint;
            }
        }

        synchronized void sendHeartbeat() {
            if (out == null || stopping) {
                return;
            }
            Heartbeat.Builder hb = Heartbeat.newBuilder().setSentAtEpochMs(System.currentTimeMillis());
            for (int m = 0; m < o.modems(); m++) {
                hb.addModems(ModemStatus.newBuilder().setModemId("m" + m).setOnline(true).setExitIp(exitIp(m)));
            }
            for (int k = 0; k < o.proxiesPerAgent(); k++) {
                bytesIn[k] += ThreadLocalRandom.current().nextInt(1, 100_000);
                bytesOut[k] += ThreadLocalRandom.current().nextInt(1, 1_000_000);
                hb.addTraffic(ProxyTraffic.newBuilder().setProxyId(proxyId(index, k, o.proxiesPerAgent()))
                        .setBytesIn(bytesIn[k]).setBytesOut(bytesOut[k]).setCountingSinceEpochMs(countingSince)
                        .setPort(20000 + k).setFingerprint(fingerprints[k]));
            }
            out.onNext(AgentMessage.newBuilder().setHeartbeat(hb).build());
            heartbeatsSent.incrementAndGet();
        }

        synchronized void onEnd(ManagedChannel channel, Throwable t) {
            releasePermit();
            if (heartbeat != null) {
                heartbeat.cancel(false);
                heartbeat = null;
            }
            out = null;
            if (stopping) {
                return;
            }
            streamErrors.incrementAndGet();
            String kind = t == null ? "completed" : String.valueOf(io.grpc.Status.fromThrowable(t).getCode());
            errorKinds.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
            // like the real agent: reconnect after a pause
            timers.schedule(() -> connect(channel), 1 + ThreadLocalRandom.current().nextInt(1000), TimeUnit.MILLISECONDS);
        }

        private void releasePermit() {
            if (permitHeld) {
                permitHeld = false;
                inflight.release();
            }
        }

        synchronized void close() {
            if (heartbeat != null) {
                heartbeat.cancel(false);
            }
            if (out != null) {
                out.onCompleted();
                out = null;
            }
        }
    }

    ManagedChannel channel() {
        String[] hp = o.target().split(":");
        ManagedChannel ch = NettyChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1]))
                .eventLoopGroup(group).channelType(NioSocketChannel.class).executor(callbacks)
                .usePlaintext().build();
        channelsOpen.add(ch);
        return ch;
    }

    void run() throws Exception {
        Map<String, Object> result = new java.util.LinkedHashMap<>();
        result.put("target", o.target());
        result.put("agents", o.agents());
        result.put("channels", o.channels());
        result.put("modems_per_agent", o.modems());
        result.put("proxies_per_agent", o.proxiesPerAgent());
        result.put("inflight", o.inflight());
        Proc target = o.pid() > 0 ? new Proc(o.pid()) : null;
        if (target != null) {
            result.put("rss_before_mb", target.rssKb() / 1024.0);
            result.put("heap_before_mb", heapAfterGcMb(o.pid()));
        }
        int perChannel = o.channels().startsWith("shared:") ? Integer.parseInt(o.channels().substring(7)) : 1;
        ManagedChannel current = null;
        for (int i = 0; i < o.agents(); i++) {
            agents[i] = new Agent(i);
        }
        double cpuBefore = target == null ? 0 : target.cpuMs();
        firstHelloNanos = System.nanoTime();
        for (int i = 0; i < o.agents(); i++) {
            if (i % perChannel == 0) {
                current = channel();
            }
            agents[i].connect(current);
        }
        boolean all = allWelcomed.await(o.connectTimeout(), TimeUnit.SECONDS);
        allWelcomedNanos = System.nanoTime();
        double connectSeconds = (allWelcomedNanos - firstHelloNanos) / 1e9;
        result.put("all_welcomed", all);
        result.put("welcomed", welcomed.get());
        result.put("connect_seconds", connectSeconds);
        long[] helloToWelcome = Arrays.stream(agents).filter(a -> a.welcomedOnce)
                .mapToLong(a -> a.welcomeNanos - a.helloSentNanos).sorted().toArray();
        result.put("hello_welcome_p50_ms", percentile(helloToWelcome, 50) / 1e6);
        result.put("hello_welcome_p99_ms", percentile(helloToWelcome, 99) / 1e6);
        result.put("stream_errors_during_connect", streamErrors.get());
        if (target != null) {
            result.put("target_cpu_ms_connect", target.cpuMs() - cpuBefore);
            result.put("rss_connected_mb", target.rssKb() / 1024.0);
        }
        log("%d of %d agents welcomed in %.1f s (%d stream errors)", welcomed.get(), o.agents(), connectSeconds, streamErrors.get());

        Thread.sleep(o.warmup() * 1000L);
        // steady state: heartbeats only
        Proc pg = o.pgPid() > 0 ? new Proc(o.pgPid()) : null;
        long commits0 = pgCommits();
        long hb0 = heartbeatsSent.get();
        int errors0 = streamErrors.get();
        double cpu0 = target == null ? 0 : target.cpuMs();
        double pgCpu0 = pg == null ? 0 : pg.treeCpuMs();
        double self0 = Proc.self().cpuMs();
        long t0 = System.nanoTime();
        Thread.sleep(o.steady() * 1000L);
        double secs = (System.nanoTime() - t0) / 1e9;
        long heartbeats = heartbeatsSent.get() - hb0;
        long commits = pgCommits() - commits0;
        result.put("steady_seconds", secs);
        result.put("heartbeats", heartbeats);
        result.put("heartbeats_per_second", heartbeats / secs);
        result.put("stream_errors_steady", streamErrors.get() - errors0);
        result.put("loadgen_cpu_ms_per_s", (Proc.self().cpuMs() - self0) / secs);
        if (target != null) {
            double cpu = target.cpuMs() - cpu0;
            result.put("target_cpu_ms_per_s", cpu / secs);
            result.put("target_cpu_us_per_heartbeat", heartbeats == 0 ? null : cpu * 1000 / heartbeats);
            result.put("target_threads", target.threads());
        }
        if (pg != null) {
            double pgCpu = pg.treeCpuMs() - pgCpu0;
            result.put("pg_cpu_ms_per_s", pgCpu / secs);
            result.put("pg_cpu_us_per_heartbeat", heartbeats == 0 ? null : pgCpu * 1000 / heartbeats);
        }
        if (commits >= 0 && !o.pgCommitsCmd().isEmpty()) {
            result.put("db_commits", commits);
            result.put("db_commits_per_heartbeat", heartbeats == 0 ? null : (double) commits / heartbeats);
        }
        log("steady %.0f s: %d heartbeats (%.0f/s)%s", secs, heartbeats, heartbeats / secs,
                target == null ? "" : String.format(Locale.ROOT, ", target %.0f ms CPU/s", result.get("target_cpu_ms_per_s")));

        if (!o.http().isEmpty() && o.commands() > 0) {
            commandRoundTrips(result);
        }
        if (target != null) {
            result.put("rss_after_mb", target.rssKb() / 1024.0);
            result.put("heap_after_mb", heapAfterGcMb(o.pid()));
        }
        result.put("welcomed_at_end", countOpen());
        result.put("stream_errors_total", streamErrors.get());
        result.put("error_kinds", errorKinds.toString());
        result.put("commands_answered", commandsAnswered.get());
        stopping = true;
        for (Agent a : agents) {
            a.close();
        }
        Thread.sleep(2000);
        channelsOpen.forEach(ManagedChannel::shutdownNow);
        timers.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        callbacks.shutdownNow();
        System.out.println(json(result));
        System.exit(0);
    }

    int countOpen() {
        int n = 0;
        for (Agent a : agents) {
            synchronized (a) {
                if (a.out != null && a.welcomedOnce) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Paced fingerprint calls (linux/windows in turn) to the first proxy of a random agent; one at a time. */
    void commandRoundTrips(Map<String, Object> result) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        PrivateKey key = privateKey(Path.of(o.jwtKey()));
        Random random = new Random(42);
        Random phase = new Random(7); // its own sequence: the agents called stay those of the runs before
        long[] ok = new long[o.commands()];
        int n = 0, failed = 0;
        Map<Integer, Integer> statuses = new HashMap<>();
        long gap = (long) (1e9 / o.commandRate());
        long next = System.nanoTime();
        double self0 = Proc.self().cpuMs();
        // per call: when it started, its round trip and where the time went (request → the agent has the
        // command; the agent's answer → the HTTP response), for --trace (docs/benchmarks.md "bench/fleet")
        StringBuilder trace = new StringBuilder("# i start_epoch_ms agent status total_ms to_agent_ms agent_ms from_agent_ms"
                + " (i < 0: --command-warmup calls, not counted)\n");
        double first = -1, warmupMax = 0;
        for (int i = -o.commandWarmup(); i < o.commands(); i++) {
            // at a random moment of its 1/rate slot, not at a fixed phase: a call every 100 ms on the dot meets the
            // fleet's once-a-second jobs (heartbeat batch, sweeps) on every 10th call or never, depending on when
            // the phase began ("after-p99": 10 % of the calls landed 16 ms after the second turned)
            long at = next + (long) (phase.nextDouble() * gap);
            long wait = at - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            next += gap;
            int agent = random.nextInt(o.agents());
            long proxy = proxyId(agent, 0, o.proxiesPerAgent());
            long reseller = agent + 1;
            String body = "{\"fingerprint\": \"" + (i % 2 == 0 ? "windows" : "linux") + "\"}";
            HttpRequest req = HttpRequest.newBuilder(URI.create(o.http() + "/v1/reseller/proxies/" + proxy + "/fingerprint"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + jwt(key, reseller)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            commandArrivedNanos = 0;
            commandAnsweredNanos = 0;
            long startMs = System.currentTimeMillis();
            long s = System.nanoTime();
            int status;
            try {
                status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (Exception e) {
                status = -1;
            }
            long end = System.nanoTime();
            long took = end - s;
            long arrived = commandArrivedNanos, answered = commandAnsweredNanos;
            trace.append(String.format(Locale.ROOT, "%d %d %s %d %.3f %.3f %.3f %.3f%n", i, startMs, agentId(o.prefix(), agent), status,
                    took / 1e6, arrived == 0 ? -1 : (arrived - s) / 1e6, arrived == 0 || answered == 0 ? -1 : (answered - arrived) / 1e6,
                    answered == 0 ? -1 : (end - answered) / 1e6));
            if (first < 0) {
                first = took / 1e6;
            }
            if (i < 0) { // the command path's first calls after the steady window: its code still cold (JIT, classes)
                warmupMax = Math.max(warmupMax, took / 1e6);
                continue;
            }
            statuses.merge(status, 1, Integer::sum);
            if (status == 200) {
                ok[n++] = took;
            } else {
                failed++;
            }
        }
        if (!o.trace().isEmpty()) {
            Files.writeString(Path.of(o.trace()), trace);
        }
        long[] done = Arrays.copyOf(ok, n);
        Arrays.sort(done);
        result.put("commands", o.commands());
        result.put("command_warmup", o.commandWarmup());
        result.put("command_first_ms", first);
        result.put("command_warmup_max_ms", warmupMax);
        result.put("command_rate", o.commandRate());
        result.put("commands_ok", n);
        result.put("commands_failed", failed);
        result.put("command_statuses", statuses.toString());
        result.put("command_p50_ms", percentile(done, 50) / 1e6);
        result.put("command_p99_ms", percentile(done, 99) / 1e6);
        result.put("command_max_ms", n == 0 ? null : done[n - 1] / 1e6);
        log("%d fingerprint calls: %d ok, p50 %.1f ms, p99 %.1f ms", o.commands(), n,
                percentile(done, 50) / 1e6, percentile(done, 99) / 1e6);
    }

    /** The gateway's internal token for a reseller (InternalJwt: iss, aud, groups, reseller_id, 60 s life). */
    static String jwt(PrivateKey key, long resellerId) throws Exception {
        long now = System.currentTimeMillis() / 1000;
        String header = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
        String claims = b64("{\"iss\":\"proxyvault-gateway\",\"aud\":\"proxy-fleet-service\",\"sub\":\"" + resellerId
                + "\",\"upn\":\"reseller-" + resellerId + "\",\"groups\":[\"reseller\"],\"reseller_id\":" + resellerId
                + ",\"iat\":" + now + ",\"exp\":" + (now + 60) + ",\"jti\":\"" + java.util.UUID.randomUUID() + "\"}");
        Signature sig = Signature.getInstance("SHA256withRSA");
        sig.initSign(key);
        sig.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig.sign());
    }

    static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static PrivateKey privateKey(Path pem) throws Exception {
        String body = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
    }

    long pgCommits() {
        if (o.pgCommitsCmd().isEmpty()) {
            return -1;
        }
        try {
            Process p = new ProcessBuilder("bash", "-c", o.pgCommitsCmd()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (Exception e) {
            log("reading commits failed: %s", e);
            return -1;
        }
    }

    static Double heapAfterGcMb(long pid) {
        try {
            run("jcmd", String.valueOf(pid), "GC.run");
            String info = run("jcmd", String.valueOf(pid), "GC.heap_info");
            return heapUsedMb(info);
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * The heap's used MB from {@code jcmd GC.heap_info}: G1/Serial/Parallel print "... total 123K, used 45K" first;
     * Shenandoah prints "717M max, 717M soft max, 591M committed, 413M used" and then "Metaspace used 107252K", which
     * the G1 pattern alone took for the heap until "after-phases" (the 0.7 and 1.2 KB per stream of "after-p99" and
     * "profile-main").
     */
    static Double heapUsedMb(String info) {
        var shenandoah = java.util.regex.Pattern.compile("(\\d+)([KMG]) used").matcher(info);
        if (shenandoah.find()) {
            double n = Long.parseLong(shenandoah.group(1));
            return switch (shenandoah.group(2)) {
                case "K" -> n / 1024.0;
                case "G" -> n * 1024.0;
                default -> n;
            };
        }
        var g1 = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
        return g1.find() ? Long.parseLong(g1.group(1)) / 1024.0 : null;
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    static long percentile(long[] sorted, double pct) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(pct / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** A process's CPU (utime + stime, ms) and memory from /proc. */
    record Proc(long pid) {
        static Proc self() {
            return new Proc(ProcessHandle.current().pid());
        }

        double cpuMs() {
            return cpuMs(pid);
        }

        static double cpuMs(long pid) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0; // USER_HZ 100
            } catch (Exception e) {
                return 0;
            }
        }

        /** This process and its children (PostgreSQL: the postmaster and every backend and worker). */
        double treeCpuMs() {
            double sum = cpuMs(pid);
            try { // plus the children it reaped (backends that ended)
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                sum += (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10.0;
            } catch (Exception e) {
                // gone: nothing to add
            }
            for (ProcessHandle child : ProcessHandle.of(pid).map(h -> h.children().toList()).orElse(List.of())) {
                sum += cpuMs(child.pid());
            }
            return sum;
        }

        long rssKb() {
            return statusField("VmRSS:");
        }

        long threads() {
            return statusField("Threads:");
        }

        long statusField(String name) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (line.startsWith(name)) {
                        return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                    }
                }
            } catch (Exception e) {
                return -1;
            }
            return -1;
        }
    }

    static String json(Map<String, Object> m) {
        StringBuilder b = new StringBuilder("{");
        for (var e : m.entrySet()) {
            if (b.length() > 1) {
                b.append(", ");
            }
            b.append('"').append(e.getKey()).append("\": ");
            Object v = e.getValue();
            if (v == null) {
                b.append("null");
            } else if (v instanceof Number || v instanceof Boolean) {
                b.append(v instanceof Double d ? String.format(Locale.ROOT, "%.3f", d) : v.toString());
            } else {
                b.append('"').append(v.toString().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return b.append('}').toString();
    }

    static void log(String format, Object... args) {
        System.err.println("[bench/fleet] " + String.format(Locale.ROOT, format, args));
    }
}
