package com.proxyvault.fleet.agents;

import com.proxyvault.contracts.agent.v1.Fingerprint;
import com.proxyvault.contracts.agent.v1.ModemStatus;
import com.proxyvault.contracts.agent.v1.ProxyTraffic;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The heartbeats received since the last write, reduced to what the write needs (docs/fleet.md "Heartbeats:
 * one write per second"): per agent the latest receive time and its session, per proxy the byte reports in
 * arrival order. Not thread-safe: {@link HeartbeatWriter} guards it.
 *
 * <p>Byte reports are running totals per counting start ({@code ProxyTraffic}): a later report with the same
 * {@code counting_since_epoch_ms} supersedes an earlier one (applying both adds the same bytes as applying the
 * later alone), so only the latest is kept; a report with a new start must follow the old one, so both are
 * kept and written in turn ({@link #trafficRounds}: the n-th report of every proxy goes in round n).
 */
final class HeartbeatBatch {

    /**
     * One agent's latest heartbeat in the batch: when it arrived (UTC), on which stream, and, from an agent whose
     * heartbeats list every proxy it serves ({@link AgentSession#reportsAllServed()}), that list: proxy id → the
     * fingerprint reported (the fleet's name, {@code none} ... {@code windows}; {@code null}: not said). {@code served}
     * is {@code null} for an agent that does not list them all.
     */
    record Seen(LocalDateTime at, AgentSession session, Map<Long, String> served) {
        Seen(LocalDateTime at, AgentSession session) {
            this(at, session, null);
        }
    }

    /**
     * One proxy's byte report from agent {@code agentId} (the write applies it only to that agent's proxy), with the
     * port its listener is on ({@code 0}: an agent that does not say).
     */
    record Report(long proxyId, String agentId, long since, long bytesIn, long bytesOut, int port) {
    }

    /**
     * A modem's exit IP as a heartbeat reported it: {@code modemId} as the fleet stores it ({@code <agent>/<modem>}),
     * {@code at} when the heartbeat arrived (UTC).
     */
    record ExitIp(String modemId, String agentId, String exitIp, LocalDateTime at) {
    }

    private final Map<String, Seen> seen = new HashMap<>();
    private final Map<String, ExitIp> exitIps = new HashMap<>();
    private final Map<Long, List<Report>> traffic = new HashMap<>();
    private int heartbeats;

    /** Adds one heartbeat of {@code session}'s agent, received at {@code at} (UTC), without modem statuses. */
    void add(AgentSession session, LocalDateTime at, List<ProxyTraffic> reports) {
        add(session, at, reports, List.of());
    }

    /**
     * Adds one heartbeat of {@code session}'s agent, received at {@code at} (UTC): its byte reports and its modems'
     * exit IPs (the latest per modem; a status without one is skipped).
     */
    void add(AgentSession session, LocalDateTime at, List<ProxyTraffic> reports, List<ModemStatus> modems) {
        heartbeats++;
        seen.merge(session.agentId(), new Seen(at, session, session.reportsAllServed() ? served(reports) : null),
                (old, now) -> now.at().isBefore(old.at()) ? old : now);
        for (ModemStatus modem : modems) {
            if (!modem.getExitIp().isEmpty()) {
                String id = session.agentId() + "/" + modem.getModemId();
                exitIps.merge(id, new ExitIp(id, session.agentId(), modem.getExitIp(), at),
                        (old, now) -> now.at().isBefore(old.at()) ? old : now);
            }
        }
        for (ProxyTraffic t : reports) {
            Report report = new Report(t.getProxyId(), session.agentId(), t.getCountingSinceEpochMs(),
                    Math.max(0, t.getBytesIn()), Math.max(0, t.getBytesOut()), Math.max(0, t.getPort()));
            List<Report> list = traffic.computeIfAbsent(t.getProxyId(), id -> new ArrayList<>(1));
            Report last = list.isEmpty() ? null : list.get(list.size() - 1);
            if (last != null && last.since() == report.since() && last.agentId().equals(report.agentId())) {
                list.set(list.size() - 1, report);
            } else {
                list.add(report);
            }
        }
    }

    private static Map<Long, String> served(List<ProxyTraffic> reports) {
        Map<Long, String> served = new HashMap<>(reports.size() * 2);
        for (ProxyTraffic t : reports) {
            served.put(t.getProxyId(), t.hasFingerprint() ? fingerprintName(t.getFingerprint()) : null);
        }
        return served;
    }

    /** The fleet's stored name of a protocol fingerprint ({@code proxies.fingerprint}); one it does not know: {@code null}. */
    static String fingerprintName(Fingerprint fingerprint) {
        return switch (fingerprint) {
            case FINGERPRINT_NONE -> "none";
            case FINGERPRINT_LINUX -> "linux";
            case FINGERPRINT_MACOS -> "macos";
            case FINGERPRINT_WINDOWS -> "windows";
            default -> null;
        };
    }

    boolean isEmpty() {
        return heartbeats == 0;
    }

    /** Heartbeats added (before any reduction). */
    int heartbeats() {
        return heartbeats;
    }

    /** Every agent heard from, by id (sorted, so concurrent writers lock rows in the same order). */
    Map<String, Seen> seen() {
        return new TreeMap<>(seen);
    }

    /** The latest exit IP each modem reported in the batch, sorted by modem id (rows locked in one order). */
    List<ExitIp> exitIps() {
        return exitIps.values().stream().sorted(Comparator.comparing(ExitIp::modemId)).toList();
    }

    /** The byte reports as rounds to write one after another; each round names a proxy at most once, sorted by id. */
    List<List<Report>> trafficRounds() {
        List<List<Report>> rounds = new ArrayList<>();
        traffic.values().forEach(reports -> {
            for (int i = 0; i < reports.size(); i++) {
                if (rounds.size() <= i) {
                    rounds.add(new ArrayList<>());
                }
                rounds.get(i).add(reports.get(i));
            }
        });
        rounds.forEach(round -> round.sort(Comparator.comparingLong(Report::proxyId)));
        return rounds;
    }
}
