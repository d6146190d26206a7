package com.proxyvault.agent.link;

import com.proxyvault.agent.AgentConfig;
import com.proxyvault.contracts.agent.v1.AgentMessage;
import com.proxyvault.contracts.agent.v1.CommandAck;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.MutinyAgentLinkGrpc;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The agent's one connection to the fleet: an {@code AgentLink.Connect} stream the agent dials out
 * (modem farms sit behind NAT). Each attempt sends Hello, waits for Welcome, then heartbeats, acks
 * every command as it arrives ({@code CommandAck}) and answers commands in the order they arrive. When the stream ends, for whatever reason, the agent
 * dials again after a capped exponential backoff, forever: a farm must come back on its own after a
 * fleet deploy or a network outage. Proxy listeners are untouched by all this; the next Hello lists
 * them so the fleet can reconcile.
 */
@Singleton
public class FleetLink {

    private static final Logger LOG = Logger.getLogger(FleetLink.class);
    /** Commands received and not yet carried out; past this the fleet is flooding us and the stream is restarted. */
    private static final int COMMAND_QUEUE_LIMIT = 10_000;

    private final MutinyAgentLinkGrpc.MutinyAgentLinkStub fleet;
    private final AgentReport report;
    private final CommandHandler commands;
    private final AgentConfig.Fleet linkConfig;
    private final String fleetAddress;
    private final ReconnectBackoff backoff;
    // One thread for reconnects and heartbeats: they are rare, short, and simpler to reason about in sequence.
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "fleet-link");
        thread.setDaemon(true);
        return thread;
    });

    private volatile Session session;
    private volatile boolean stopped;

    public FleetLink(@GrpcClient("fleet") MutinyAgentLinkGrpc.MutinyAgentLinkStub fleet,
                     AgentReport report,
                     CommandHandler commands,
                     AgentConfig config,
                     @ConfigProperty(name = "quarkus.grpc.clients.fleet.host") String fleetHost,
                     @ConfigProperty(name = "quarkus.grpc.clients.fleet.port") int fleetPort,
                     @ConfigProperty(name = "quarkus.grpc.clients.fleet.name-resolver") String nameResolver,
                     @ConfigProperty(name = "quarkus.stork.fleet.service-discovery.address-list") String fleetAddresses) {
        this.fleet = fleet;
        this.report = report;
        this.commands = commands;
        this.linkConfig = config.fleet();
        // with several addresses (docs/fleet.md "Several fleet addresses") the host is only the Stork service's name
        this.fleetAddress = "stork".equals(nameResolver) ? fleetAddresses : fleetHost + ":" + fleetPort;
        this.backoff = new ReconnectBackoff(linkConfig.reconnectInitialDelay(), linkConfig.reconnectMaxDelay());
    }

    void onStart(@Observes StartupEvent event) {
        runOnScheduler(this::connect);
    }

    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
        Session current = session;
        if (current != null) {
            current.close();
        }
        scheduler.shutdownNow();
    }

    /** True while a stream is open and the fleet has welcomed us on it: readiness. */
    public boolean isEstablished() {
        Session current = session;
        return current != null && current.welcomed && !current.ended;
    }

    public String fleetAddress() {
        return fleetAddress;
    }

    private void connect() {
        if (stopped) {
            return;
        }
        Session attempt = new Session();
        session = attempt;
        LOG.infof("Dialing the fleet at %s", fleetAddress);
        Multi<AgentMessage> outbound = Multi.createFrom().emitter(emitter -> {
            attempt.outbound = emitter;
            emitter.emit(AgentMessage.newBuilder().setHello(report.hello()).build());
        }, BackPressureStrategy.BUFFER);
        // Each command is acked the moment it arrives, before the queue below (which carries them out one at a
        // time) holds it: the buffer takes whatever arrives while a command runs, so acks never wait on the queue.
        attempt.subscription = fleet.connect(outbound)
                .map(message -> acknowledge(attempt, message))
                .onOverflow().buffer(COMMAND_QUEUE_LIMIT)
                .onItem().transformToUniAndConcatenate(received -> onFleetMessage(attempt, received))
                .subscribe().with(
                        ignored -> { },
                        failure -> onStreamEnded(attempt, failure),
                        () -> onStreamEnded(attempt, null));
    }

    /** A message from the fleet and when it arrived (ms, the agent's clock). */
    private record Received(FleetMessage message, long atMillis) {
    }

    /** Sends {@code CommandAck} for a command (anything but Welcome), on arrival. */
    private Received acknowledge(Session attempt, FleetMessage message) {
        if (message.getCommandCase() != FleetMessage.CommandCase.WELCOME
                && message.getCommandCase() != FleetMessage.CommandCase.COMMAND_NOT_SET) {
            attempt.send(AgentMessage.newBuilder().setAck(CommandAck.newBuilder().setCommandId(message.getCommandId())).build());
        }
        return new Received(message, commands.nowMillis());
    }

    private Uni<Void> onFleetMessage(Session attempt, Received received) {
        FleetMessage message = received.message();
        if (attempt.ended) {
            return Uni.createFrom().voidItem();
        }
        if (message.hasWelcome()) {
            int seconds = message.getWelcome().getHeartbeatIntervalSeconds();
            Duration interval = seconds > 0 ? Duration.ofSeconds(seconds) : linkConfig.defaultHeartbeatInterval();
            attempt.welcomed = true;
            runOnScheduler(backoff::reset);
            attempt.startHeartbeats(interval);
            LOG.infof("Connected to the fleet at %s; heartbeat every %ss", fleetAddress, interval.toSeconds());
            return Uni.createFrom().voidItem();
        }
        if (message.hasResetIp()) {
            // A reset takes seconds (a modem reconnecting): it runs beside the queue so provisioning and
            // releases of other proxies are not held up behind it. Resets of one modem coalesce in its driver.
            commands.handle(message, received.atMillis()).subscribe().with(
                    result -> attempt.send(AgentMessage.newBuilder().setResult(result).build()),
                    failure -> LOG.errorf(failure, "ResetIp %s ended without a result", message.getCommandId()));
            return Uni.createFrom().voidItem();
        }
        return commands.handle(message, received.atMillis())
                .invoke(result -> attempt.send(AgentMessage.newBuilder().setResult(result).build()))
                .replaceWithVoid();
    }

    private void onStreamEnded(Session attempt, Throwable failure) {
        if (!attempt.close() || stopped) {
            return;
        }
        // Each reconnect runs on the scheduler thread, so the backoff is only ever touched there.
        runOnScheduler(() -> {
            Duration delay = backoff.nextDelay();
            String why = failure == null ? "the fleet closed the stream" : failure.toString();
            LOG.warnf("Link to the fleet at %s ended (%s); reconnecting in %d ms", fleetAddress, why, delay.toMillis());
            scheduler.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    private void runOnScheduler(Runnable task) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException shuttingDown) {
            // Only after onStop: nothing left to reconnect or reset.
        }
    }

    /** One connection attempt, from Hello until the stream ends. */
    private final class Session {
        volatile MultiEmitter<? super AgentMessage> outbound;
        volatile Cancellable subscription;
        volatile boolean welcomed;
        volatile boolean ended;
        private ScheduledFuture<?> heartbeats;

        void send(AgentMessage message) {
            MultiEmitter<? super AgentMessage> emitter = outbound;
            if (!ended && emitter != null) {
                emitter.emit(message);
            }
        }

        synchronized void startHeartbeats(Duration interval) {
            if (ended || heartbeats != null || stopped) {
                return;
            }
            try {
                heartbeats = scheduler.scheduleAtFixedRate(
                        () -> send(AgentMessage.newBuilder().setHeartbeat(report.heartbeat()).build()),
                        interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException shuttingDown) {
                // stopping: no heartbeats needed
            }
        }

        /** Ends this attempt; true only for the call that actually ended it. */
        synchronized boolean close() {
            if (ended) {
                return false;
            }
            ended = true;
            if (heartbeats != null) {
                heartbeats.cancel(false);
            }
            MultiEmitter<? super AgentMessage> emitter = outbound;
            if (emitter != null) {
                emitter.complete();
            }
            Cancellable running = subscription;
            if (running != null) {
                running.cancel();
            }
            return true;
        }
    }
}
