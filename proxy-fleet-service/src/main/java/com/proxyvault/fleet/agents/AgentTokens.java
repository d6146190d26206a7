package com.proxyvault.fleet.agents;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;

/**
 * Which agents may connect, from {@code proxyvault.fleet.agent-tokens} ({@code id=token,id2=token2}).
 * Tokens are compared in constant time.
 */
@ApplicationScoped
public class AgentTokens {

    private final Map<String, byte[]> tokens = new HashMap<>();

    public AgentTokens(@ConfigProperty(name = "proxyvault.fleet.agent-tokens") String configured) {
        for (String pair : configured.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                tokens.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim().getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    public boolean accepts(String agentId, String token) {
        byte[] expected = tokens.get(agentId);
        return expected != null && token != null
                && MessageDigest.isEqual(expected, token.getBytes(StandardCharsets.UTF_8));
    }
}
