package com.proxyvault.fleet.agents;

import com.proxyvault.contracts.agent.v1.ProxyTraffic;
import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a batch of heartbeats reduces to the write (HeartbeatWriter; docs/fleet.md "Heartbeats: one write per second"). */
class HeartbeatBatchTest {

    private static final LocalDateTime T0 = LocalDateTime.of(2026, 12, 1, 2, 0, 0);

    private static AgentSession session(String agentId) {
        return new AgentSession(agentId, null, AgentSession.ACKING_PROTOCOL, null);
    }

    private static ProxyTraffic traffic(long proxyId, long in, long out, long since) {
        return ProxyTraffic.newBuilder().setProxyId(proxyId).setBytesIn(in).setBytesOut(out).setCountingSinceEpochMs(since).build();
    }

    @Test
    void shouldKeepEachAgentsLatestTimeAndStream() {
        HeartbeatBatch batch = new HeartbeatBatch();
        AgentSession first = session("a");
        AgentSession reconnected = session("a");
        batch.add(first, T0, List.of());
        batch.add(session("b"), T0.plusSeconds(1), List.of());
        batch.add(reconnected, T0.plusSeconds(2), List.of());

        assertEquals(3, batch.heartbeats());
        assertEquals(List.of("a", "b"), List.copyOf(batch.seen().keySet()));
        assertEquals(T0.plusSeconds(2), batch.seen().get("a").at());
        assertSame(reconnected, batch.seen().get("a").session());
    }

    @Test
    void shouldNotMoveAnAgentsTimeBackWhenAnOlderHeartbeatIsAddedLater() {
        HeartbeatBatch batch = new HeartbeatBatch();
        AgentSession s = session("a");
        batch.add(s, T0.plusSeconds(5), List.of());
        batch.add(s, T0, List.of());
        assertEquals(T0.plusSeconds(5), batch.seen().get("a").at());
    }

    @Test
    void shouldKeepOnlyTheLatestRunningTotalOfTheSameCountingStart() {
        HeartbeatBatch batch = new HeartbeatBatch();
        AgentSession s = session("a");
        batch.add(s, T0, List.of(traffic(7, 100, 2000, 1)));
        batch.add(s, T0.plusSeconds(1), List.of(traffic(7, 150, 2500, 1)));

        List<List<HeartbeatBatch.Report>> rounds = batch.trafficRounds();
        assertEquals(1, rounds.size());
        assertEquals(List.of(new HeartbeatBatch.Report(7, "a", 1, 150, 2500, 0)), rounds.get(0));
    }

    @Test
    void shouldWriteANewCountingStartAfterTheOldOneInItsOwnRound() {
        HeartbeatBatch batch = new HeartbeatBatch();
        AgentSession s = session("a");
        batch.add(s, T0, List.of(traffic(7, 150, 2500, 1), traffic(8, 5, 5, 1)));
        batch.add(s, T0.plusSeconds(1), List.of(traffic(7, 30, 40, 2), traffic(8, 6, 6, 1)));

        List<List<HeartbeatBatch.Report>> rounds = batch.trafficRounds();
        assertEquals(2, rounds.size());
        assertEquals(List.of(new HeartbeatBatch.Report(7, "a", 1, 150, 2500, 0), new HeartbeatBatch.Report(8, "a", 1, 6, 6, 0)),
                rounds.get(0));
        assertEquals(List.of(new HeartbeatBatch.Report(7, "a", 2, 30, 40, 0)), rounds.get(1));
    }

    @Test
    void shouldSortEachRoundByProxyIdAndClampNegativeCounters() {
        HeartbeatBatch batch = new HeartbeatBatch();
        batch.add(session("b"), T0, List.of(traffic(9, -1, 3, 1)));
        batch.add(session("a"), T0, List.of(traffic(2, 1, 1, 1)));

        List<HeartbeatBatch.Report> round = batch.trafficRounds().get(0);
        assertEquals(List.of(2L, 9L), round.stream().map(HeartbeatBatch.Report::proxyId).toList());
        assertEquals(0, round.get(1).bytesIn());
    }

    @Test
    void shouldStartEmpty() {
        HeartbeatBatch batch = new HeartbeatBatch();
        assertTrue(batch.isEmpty());
        assertTrue(batch.trafficRounds().isEmpty());
    }
}
