package com.proxyvault.fleet.agents;

import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.ResetIp;
import com.proxyvault.contracts.agent.v1.ResetMode;
import com.proxyvault.contracts.agent.v1.SetFingerprint;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AgentSession}'s side of "every command with an id, an ack and a timeout" (docs/fleet.md "Commands: id,
 * ack, timeout"), without a server: what goes out on the stream, and which failure each missing answer gives.
 */
class AgentSessionTest {

    private static final Duration ACK = Duration.ofMillis(200);
    private static final FleetMessage.Builder FINGERPRINT = FleetMessage.newBuilder()
            .setSetFingerprint(SetFingerprint.newBuilder().setProxyId(7));

    private final BlockingQueue<FleetMessage> sent = new LinkedBlockingQueue<>();
    private MultiEmitter<? super FleetMessage> emitter;

    @BeforeEach
    void stream() {
        AtomicReference<MultiEmitter<? super FleetMessage>> ref = new AtomicReference<>();
        Multi.createFrom().<FleetMessage>emitter(ref::set).subscribe().with(sent::add);
        emitter = ref.get();
    }

    @Test
    void shouldConfirmOnlyTheSuspectsTwoChecksInARowFound() {
        AgentSession session = session(AgentSession.REPORTING_PROTOCOL);
        assertTrue(session.reportsAllServed());
        assertFalse(session(AgentSession.ACKING_PROTOCOL).reportsAllServed(), "protocol 2 does not list every proxy");
        assertEquals(java.util.Set.of(), session.confirmSuspects(java.util.Set.of(1L, 2L)), "a first strike confirms nothing");
        assertEquals(java.util.Set.of(2L), session.confirmSuspects(java.util.Set.of(2L, 3L)), "2 twice in a row");
        assertEquals(java.util.Set.of(), session.confirmSuspects(java.util.Set.of()), "a check that finds nothing forgets");
        assertEquals(java.util.Set.of(), session.confirmSuspects(java.util.Set.of(3L)), "3 is a first strike again");
        assertEquals(java.util.Set.of(3L), session.confirmSuspects(java.util.Set.of(3L)));
        assertEquals(java.util.Set.of(), session.confirmSuspects(java.util.Set.of(3L)), "confirmed: two strikes again");
        assertEquals(java.util.Set.of(3L), session.confirmSuspects(java.util.Set.of(3L)));
    }

    @Test
    void shouldSendEveryCommandWithAFreshIdAndItsKindsTimeout() throws Exception {
        AgentSession session = session(AgentSession.ACKING_PROTOCOL);
        session.command(FINGERPRINT.clone()).subscribe().with(r -> { }, e -> { });
        session.command(FleetMessage.newBuilder().setResetIp(ResetIp.newBuilder().setMode(ResetMode.RESET_MODE_HARD)))
                .subscribe().with(r -> { }, e -> { });
        FleetMessage first = sent.poll(1, TimeUnit.SECONDS);
        FleetMessage second = sent.poll(1, TimeUnit.SECONDS);

        assertFalse(first.getCommandId().isEmpty());
        assertFalse(first.getCommandId().equals(second.getCommandId()));
        assertEquals(3_000, first.getTimeoutMs());
        assertEquals(150_000, second.getTimeoutMs());
    }

    @Test
    void shouldFailWithAnAckTimeoutWhenAnAckingAgentDoesNotAcknowledge() throws Exception {
        AgentSession session = session(AgentSession.ACKING_PROTOCOL);
        CompletableFuture<CommandResult> result = session.command(FINGERPRINT.clone()).subscribeAsCompletionStage();

        CommandTimeout timeout = failure(result);
        assertEquals(CommandTimeout.Stage.ACK, timeout.stage());
    }

    @Test
    void shouldFailWithAResultTimeoutWhenTheAgentAckedButDidNotFinish() throws Exception {
        AgentSession session = session(AgentSession.ACKING_PROTOCOL);
        CompletableFuture<CommandResult> result = session.command(FINGERPRINT.clone(), Duration.ofMillis(600))
                .subscribeAsCompletionStage();
        session.acknowledged(sent.poll(1, TimeUnit.SECONDS).getCommandId());

        CommandTimeout timeout = failure(result);
        assertEquals(CommandTimeout.Stage.RESULT, timeout.stage());
    }

    @Test
    void shouldCompleteWithTheResultOnceAckedAndAnswered() throws Exception {
        AgentSession session = session(AgentSession.ACKING_PROTOCOL);
        CompletableFuture<CommandResult> result = session.command(FINGERPRINT.clone()).subscribeAsCompletionStage();
        String id = sent.poll(1, TimeUnit.SECONDS).getCommandId();
        Thread.sleep(ACK.toMillis() / 2);
        session.acknowledged(id);
        Thread.sleep(ACK.toMillis()); // past the ack timeout: acked, so only the result's timeout counts now
        session.complete(CommandResult.newBuilder().setCommandId(id).setOk(true).build());

        assertTrue(result.get(1, TimeUnit.SECONDS).getOk());
    }

    @Test
    void shouldWaitOnlyForTheResultFromAnAgentThatDoesNotAck() throws Exception {
        AgentSession session = session(0);
        CompletableFuture<CommandResult> result = session.command(FINGERPRINT.clone()).subscribeAsCompletionStage();
        String id = sent.poll(1, TimeUnit.SECONDS).getCommandId();
        Thread.sleep(ACK.toMillis() * 2);
        session.complete(CommandResult.newBuilder().setCommandId(id).setOk(true).build());

        assertTrue(result.get(1, TimeUnit.SECONDS).getOk());
        assertFalse(session.acks());
    }

    @Test
    void shouldFailWhatIsPendingWhenTheStreamEnds() throws Exception {
        AgentSession session = session(AgentSession.ACKING_PROTOCOL);
        CompletableFuture<CommandResult> result = session.command(FINGERPRINT.clone(), Duration.ofSeconds(10))
                .subscribeAsCompletionStage();
        session.acknowledged(sent.poll(1, TimeUnit.SECONDS).getCommandId());
        session.close(null);

        ExecutionException failed = assertThrows(ExecutionException.class, () -> result.get(1, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, failed.getCause());
    }

    private AgentSession session(int protocolVersion) {
        return new AgentSession("agent-t", emitter, protocolVersion, new TestCommands());
    }

    private static CommandTimeout failure(CompletableFuture<CommandResult> result) {
        ExecutionException failed = assertThrows(ExecutionException.class, () -> result.get(5, TimeUnit.SECONDS));
        return assertInstanceOf(CommandTimeout.class, failed.getCause());
    }

    /** The defaults, with a short ack timeout and a 3 s fingerprint timeout. */
    private static final class TestCommands implements CommandConfig {
        @Override
        public Duration ackTimeout() {
            return ACK;
        }

        @Override
        public Duration provisionTimeout() {
            return Duration.ofSeconds(10);
        }

        @Override
        public Duration releaseTimeout() {
            return Duration.ofSeconds(10);
        }

        @Override
        public Duration fingerprintTimeout() {
            return Duration.ofSeconds(3);
        }

        @Override
        public Duration fastResetTimeout() {
            return Duration.ofSeconds(60);
        }

        @Override
        public Duration hardResetTimeout() {
            return Duration.ofSeconds(150);
        }
    }
}
