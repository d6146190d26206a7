package com.proxyvault.fleet.provisioning;

import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.ProvisionProxy;
import com.proxyvault.contracts.agent.v1.ReleaseProxy;
import com.proxyvault.fleet.proxies.Proxy;

/** Builds the commands the fleet sends about one proxy. */
final class AgentCommands {

    private AgentCommands() {
    }

    static FleetMessage.Builder provision(Proxy proxy) {
        // Modem ids are stored as '<agent>/<modem>'; the agent knows its modems by their own id.
        String modemId = proxy.modemId.substring(proxy.modemId.indexOf('/') + 1);
        return FleetMessage.newBuilder().setProvisionProxy(ProvisionProxy.newBuilder()
                .setProxyId(proxy.id)
                .setModemId(modemId)
                .setPort(proxy.port)
                .setUsername(proxy.username)
                .setPassword(proxy.password));
    }

    static FleetMessage.Builder release(long proxyId, int port) {
        return FleetMessage.newBuilder().setReleaseProxy(ReleaseProxy.newBuilder().setProxyId(proxyId).setPort(port));
    }
}
