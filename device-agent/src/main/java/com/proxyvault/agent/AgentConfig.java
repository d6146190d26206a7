package com.proxyvault.agent;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

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
    }

    interface Fleet {
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
