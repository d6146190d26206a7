package com.proxyvault.fleet.provisioning;

import com.proxyvault.contracts.agent.v1.Fingerprint;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.ProvisionProxy;
import com.proxyvault.contracts.agent.v1.ReleaseProxy;
import com.proxyvault.contracts.agent.v1.ResetIp;
import com.proxyvault.contracts.agent.v1.ResetMode;
import com.proxyvault.contracts.agent.v1.SetFingerprint;
import com.proxyvault.fleet.proxies.Proxy;

/** Builds the commands the fleet sends about one proxy. */
public final class AgentCommands {

    private AgentCommands() {
    }

    /** Modem ids are stored as '<agent>/<modem>'; the agent knows its modems by their own id. */
    static String agentsModemId(String modemId) {
        return modemId.substring(modemId.indexOf('/') + 1);
    }

    /**
     * Opens (or re-opens) the proxy's listener with its credentials and its stored fingerprint: every path that
     * opens a listener (provisioning, a connect, the reconciliation after an agent's Hello) sends this, so the agent
     * presents what {@code GET /proxies/{id}} shows (docs/fleet.md "OS fingerprints").
     */
    public static FleetMessage.Builder provision(Proxy proxy) {
        return FleetMessage.newBuilder().setProvisionProxy(ProvisionProxy.newBuilder()
                .setProxyId(proxy.id)
                .setModemId(agentsModemId(proxy.modemId))
                .setPort(proxy.port)
                .setUsername(proxy.username)
                .setPassword(proxy.password)
                .setFingerprint(fingerprint(proxy.fingerprint)));
    }

    /** The stored profile ({@code none}, {@code linux}, {@code macos}, {@code windows}) as the protocol's; null or unknown → none. */
    public static Fingerprint fingerprint(String stored) {
        if (stored == null) {
            return Fingerprint.FINGERPRINT_NONE;
        }
        return switch (stored) {
            case "linux" -> Fingerprint.FINGERPRINT_LINUX;
            case "macos" -> Fingerprint.FINGERPRINT_MACOS;
            case "windows" -> Fingerprint.FINGERPRINT_WINDOWS;
            default -> Fingerprint.FINGERPRINT_NONE;
        };
    }

    public static FleetMessage.Builder release(long proxyId, int port) {
        return FleetMessage.newBuilder().setReleaseProxy(ReleaseProxy.newBuilder().setProxyId(proxyId).setPort(port));
    }

    public static FleetMessage.Builder resetIp(Proxy proxy, ResetMode mode) {
        return FleetMessage.newBuilder().setResetIp(ResetIp.newBuilder()
                .setProxyId(proxy.id).setModemId(agentsModemId(proxy.modemId)).setMode(mode));
    }

    public static FleetMessage.Builder setFingerprint(long proxyId, Fingerprint fingerprint) {
        return FleetMessage.newBuilder().setSetFingerprint(SetFingerprint.newBuilder()
                .setProxyId(proxyId).setFingerprint(fingerprint));
    }
}
