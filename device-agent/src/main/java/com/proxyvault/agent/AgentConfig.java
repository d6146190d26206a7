package com.proxyvault.agent;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything the agent is told by its environment; see application.properties for the environment
 * variable behind each key and its local default.
 */
@ConfigMapping(prefix = "agent")
public interface AgentConfig {

    /** Identifies this agent to the fleet; the fleet knows it together with its token. */
    String id();

    String token();

    /** The address resellers' customers connect to; the fleet builds proxy endpoints from it. */
    String publicHost();

    /** Reported in Hello so the fleet can tell agent builds apart. */
    @WithDefault("dev")
    String version();

    Fleet fleet();

    PortRange portRange();

    /**
     * The modems beside this agent, as {@code id:location:is5g:exitIp} separated by commas,
     * e.g. {@code lax-1:LAX:false:203.0.113.11,nyc-1:NYC:true:203.0.113.21}.
     */
    String modems();

    /**
     * Which driver runs the modems: {@code simulated} or {@code modemmanager} (docs/fleet.md, "Modem drivers").
     * No default outside %dev/%test ({@code AGENT_MODEM_DRIVER}): a production agent on simulated modems would
     * send its customers' traffic out of the host's default route and report made-up exit IPs.
     */
    String modemDriver();

    Simulated simulated();

    @WithName("modemmanager")
    ModemManager modemmanager();

    /** How OS fingerprints are applied (docs/fleet.md "OS fingerprints"; see {@code FingerprintShaper}). */
    Fingerprint fingerprint();

    /** OS fingerprint shaping. */
    interface Fingerprint {
        /** {@code auto} (nftables with the modemmanager driver, recording only otherwise), {@code nftables} or {@code off}. */
        @WithDefault("auto")
        String shaping();

        /** The nft executable, run as {@code nft -f -}. */
        @WithDefault("nft")
        String nft();

        /** Longest one nft run may take. */
        @WithDefault("10s")
        Duration nftTimeout();
    }

    /** Behaviour of simulated modems on a reset (see {@code SimulatedModemSettings}). */
    interface Simulated {
        @WithDefault("1s")
        Duration fastResetDelay();

        @WithDefault("5s")
        Duration hardResetDelay();

        /** Share of resets (0..1) that fail outright. */
        @WithDefault("0")
        double failureRate();

        /** Share of resets (0..1) that report success but keep the exit IP. */
        @WithDefault("0")
        double silentFailureRate();

        /** Outcomes ({@code ok}, {@code silent}, {@code fail}) each modem's first resets have, before the rates apply. */
        Optional<List<String>> resetScript();
    }

    /** The ModemManager driver (see {@code ModemManagerDriver}). */
    interface ModemManager {
        /** The mmcli executable. */
        @WithDefault("mmcli")
        String mmcli();

        /** APN for {@code --simple-connect}. */
        @WithDefault("internet")
        String apn();

        /** How often modem state (online, exit IP, interface) is read. */
        @WithDefault("15s")
        Duration pollInterval();

        /** Longest one mmcli call may take. */
        @WithDefault("90s")
        Duration commandTimeout();

        /** How often to look for a modem that is away after --reset. */
        @WithDefault("2s")
        Duration rescanInterval();

        /** How long a modem may stay away after --reset. */
        @WithDefault("120s")
        Duration hardResetTimeout();
    }

    /** Where the proxy listeners bind; 0.0.0.0 so customers can reach them on public-host. */
    @WithDefault("0.0.0.0")
    String proxyBindHost();

    /**
     * Origins the proxies may reach although they are loopback, private, link-local or otherwise
     * non-public, as {@code host:port} entries (see {@code OriginPolicy}). Empty by default and in
     * production; only the local stack and the tests list their own origins.
     */
    Optional<List<String>> allowedPrivateTargets();

    /** Limits and timeouts of the customer side of every proxy listener (see {@code ProxySettings}). */
    Listener listener();

    interface Listener {
        /** Longest HTTP request line, in bytes (at least 8192); longer → 414. */
        @WithDefault("65536")
        int maxRequestLineBytes();

        /** Largest HTTP header block, in bytes; larger → 431. */
        @WithDefault("65536")
        int maxHeaderBytes();

        /** Time to send a complete HTTP request head or finish the SOCKS5 handshake, else the connection closes. */
        @WithDefault("30s")
        Duration requestHeadTimeout();

        /** A connection with no byte either way for this long is closed. */
        @WithDefault("300s")
        Duration idleTimeout();

        /**
         * Customer connections from one source (an IPv4 address, an IPv6 /64) without a complete request yet, over all
         * proxies; one more is reset at accept (docs/fleet.md "Connection limits").
         */
        @WithDefault("256")
        int maxHeadPhaseConnectionsPerSource();

        /** Customer connections without a complete request yet, over all sources and proxies; one more is reset. */
        @WithDefault("4096")
        int maxHeadPhaseConnections();

        /** Descriptors the process may hold; unset: its own limit (LimitNOFILE), read at start. */
        Optional<Long> maxOpenFiles();

        /** Descriptors kept for everything but customer connections and listening sockets; unset: 1024 (less on a small limit). */
        Optional<Integer> reservedFiles();

        /** Bytes of request bodies held at once over all connections; unset: a quarter of the maximum heap. */
        Optional<Long> requestBodyBudgetBytes();
    }

    interface Fleet {
        /**
         * The fleet's AgentLink gRPC host ({@code FLEET_GRPC_HOST}); {@code quarkus.grpc.clients.fleet.host} reads it
         * from here, so a production start without it stops (no loopback default outside %dev/%test).
         */
        String host();

        /** How long to wait before the first reconnect after the stream ends; doubles up to max. */
        @WithDefault("1s")
        Duration reconnectInitialDelay();

        @WithDefault("30s")
        Duration reconnectMaxDelay();

        /** Used until the fleet's Welcome names its own interval. */
        @WithDefault("10s")
        Duration defaultHeartbeatInterval();
    }

    /** Ports on public-host the fleet may hand out to this agent's proxies, both ends inclusive. */
    interface PortRange {
        int start();

        int end();
    }
}
