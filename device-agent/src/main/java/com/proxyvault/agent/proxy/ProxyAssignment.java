package com.proxyvault.agent.proxy;

import com.proxyvault.agent.modems.ModemDriver;

/** What the fleet asked this agent to serve: proxy {@code proxyId} on {@code port}, through {@code modem}. */
public record ProxyAssignment(long proxyId, int port, ProxyCredentials credentials, ModemDriver modem) {
}
