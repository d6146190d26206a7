package com.proxyvault.agent.link;

import com.proxyvault.agent.AgentConfig;
import com.proxyvault.agent.fingerprint.OsFingerprint;
import com.proxyvault.agent.modems.ModemDriver;
import com.proxyvault.agent.modems.Modems;
import com.proxyvault.agent.proxy.ProxyListener;
import com.proxyvault.agent.proxy.ProxyListeners;
import com.proxyvault.contracts.agent.v1.Heartbeat;
import com.proxyvault.contracts.agent.v1.Hello;
import com.proxyvault.contracts.agent.v1.ModemInfo;
import com.proxyvault.contracts.agent.v1.ModemStatus;
import com.proxyvault.contracts.agent.v1.ProxyTraffic;
import com.proxyvault.contracts.agent.v1.ServedProxy;
import jakarta.inject.Singleton;

import java.time.Clock;

/** What the agent tells the fleet about itself: Hello on every (re)connect, then heartbeats. */
@Singleton
public class AgentReport {

    private final AgentConfig config;
    private final Modems modems;
    private final ProxyListeners listeners;
    /**
     * What this agent speaks ({@code Hello.protocol_version}): 2 = acks every command on receipt and honours
     * {@code FleetMessage.timeout_ms} (agent.proto; docs/fleet.md "Commands: id, ack, timeout"); 3 = also lists every
     * served proxy in every heartbeat with its port and fingerprint, so the fleet can tell a proxy missing from a
     * heartbeat is not served (docs/fleet.md "Heartbeats as reconciliation").
     */
    public static final int PROTOCOL_VERSION = 3;

    private final Clock clock;

    public AgentReport(AgentConfig config, Modems modems, ProxyListeners listeners, Clock clock) {
        this.clock = clock;
        this.config = config;
        this.modems = modems;
        this.listeners = listeners;
    }

    /** Built at the moment it is sent, so served_proxies is what the fleet must reconcile against. */
    Hello hello() {
        Hello.Builder hello = Hello.newBuilder()
                .setAgentId(config.id())
                .setToken(config.token())
                .setPublicHost(config.publicHost())
                .setAgentVersion(config.version())
                .setProtocolVersion(PROTOCOL_VERSION)
                .setPortRangeStart(config.portRange().start())
                .setPortRangeEnd(config.portRange().end());
        for (ModemDriver modem : modems.all()) {
            hello.addModems(ModemInfo.newBuilder()
                    .setModemId(modem.modemId())
                    .setLocationId(modem.locationId())
                    .setIs5G(modem.is5g())
                    .setExitIp(modem.exitIp()));
        }
        for (ProxyListener listener : listeners.served()) {
            hello.addServedProxies(ServedProxy.newBuilder().setProxyId(listener.proxyId()).setPort(listener.port()));
        }
        return hello.build();
    }

    /**
     * Every modem's state and every served proxy's cumulative byte counters, port and fingerprint ({@code ProxyTraffic}):
     * the complete list of what this agent serves when it is built (protocol version 3).
     */
    Heartbeat heartbeat() {
        Heartbeat.Builder heartbeat = Heartbeat.newBuilder().setSentAtEpochMs(clock.millis());
        for (ModemDriver modem : modems.all()) {
            heartbeat.addModems(ModemStatus.newBuilder()
                    .setModemId(modem.modemId())
                    .setOnline(modem.online())
                    .setExitIp(modem.exitIp()));
        }
        for (ProxyListener listener : listeners.served()) {
            heartbeat.addTraffic(ProxyTraffic.newBuilder()
                    .setProxyId(listener.proxyId())
                    .setPort(listener.port())
                    .setFingerprint(OsFingerprint.named(listener.fingerprint()).protocolValue())
                    .setBytesIn(listener.bytesIn())
                    .setBytesOut(listener.bytesOut())
                    .setCountingSinceEpochMs(listener.countingSinceEpochMs()));
        }
        return heartbeat.build();
    }
}
