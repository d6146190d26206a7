package com.proxyvault.agent.modems;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One modem the agent can send proxy traffic through. A real driver talks to a USB 4G/5G modem
 * (AT commands, ModemManager, the modem's HTTP API ...); {@link SimulatedModemDriver} stands in for
 * one in the local stack and in tests.
 */
public interface ModemDriver {

    String modemId();

    /** The fleet's location code this modem sits in, e.g. LAX. */
    String locationId();

    boolean is5g();

    /** Whether the modem can carry traffic right now (reported in every heartbeat). */
    boolean online();

    /** The public address traffic through this modem currently leaves from. */
    String exitIp();

    /**
     * Asks the carrier for a new exit IP: {@link ResetMode#FAST} reconnects the data session,
     * {@link ResetMode#HARD} power-cycles the modem. Completes with the new exit IP.
     */
    CompletionStage<String> resetIp(ResetMode mode);

    /**
     * The local address outgoing proxy connections must bind to so that they leave through this
     * modem's interface; empty means "egress through the host's default route".
     */
    Optional<InetAddress> egressBindAddress();
}
