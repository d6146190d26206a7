package com.proxyvault.agent.proxy;

/**
 * A customer's target resolved to an address the {@link OriginPolicy} refuses (loopback, private,
 * link-local, …). Nothing was connected; the HTTP proxy answers 403.
 */
final class BlockedTargetException extends Exception {

    BlockedTargetException(String host) {
        super(host + " is a private or otherwise non-public address", null, false, false);
    }
}
