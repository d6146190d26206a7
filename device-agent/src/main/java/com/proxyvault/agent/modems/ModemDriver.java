package com.proxyvault.agent.modems;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One modem the agent sends proxy traffic through. Implementations: {@link SimulatedModemDriver}
 * (the local stack and tests) and {@link ModemManagerDriver} (a USB modem driven through ModemManager's
 * {@code mmcli}). Chosen by {@code AGENT_MODEM_DRIVER}.
 *
 * <p>State getters ({@link #online()}, {@link #exitIp()}, {@link #egressBindAddress()}) return what the
 * driver last knew and never block: they are read on every heartbeat and every origin connection.
 * {@link #refresh()} brings that knowledge up to date.
 */
public interface ModemDriver {

    String modemId();

    /** The fleet's location code this modem sits in, e.g. LAX. */
    String locationId();

    boolean is5g();

    /** Whether the modem can carry traffic right now (reported in every heartbeat); false during a reset. */
    boolean online();

    /** The address traffic through this modem currently leaves from, as last read (dotted IPv4 text). */
    String exitIp();

    /**
     * Asks the carrier for a new exit IP: {@link ResetMode#FAST} drops and re-establishes the data
     * session (about a second), {@link ResetMode#HARD} resets the modem itself (several seconds). Resets
     * of one modem never overlap: a reset asked for while one runs gets that one's outcome.
     *
     * <p>Completes with the exit IP read <em>after</em> the reset, which may be the old one: carriers
     * sometimes hand the same address back, and the driver reports what it sees rather than what it
     * hoped for, so the fleet can verify the rotation (issue 8, "verified rotation"). Fails with
     * {@link ModemException} when the modem did not come back.
     */
    CompletionStage<String> resetIp(ResetMode mode);

    /**
     * The local address outgoing proxy connections bind to so that they leave through this modem's
     * interface; empty means "egress through the host's default route" (simulated modems). Binding a
     * source address only picks the modem when the host routes by source (see docs/fleet.md, policy routing).
     */
    Optional<InetAddress> egressBindAddress();

    /** The network interface of the modem's data session (e.g. {@code wwan0}), when the driver knows one. */
    default Optional<String> interfaceName() {
        return Optional.empty();
    }

    /** Re-reads the modem's state (online, exit IP, interface); completes when done, never fails. */
    default CompletionStage<Void> refresh() {
        return CompletableFuture.completedFuture(null);
    }
}
