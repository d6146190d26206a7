package com.proxyvault.agent.fingerprint;

/**
 * A fingerprint could not be applied (nft missing or refusing the rules, or two proxies of one modem asking for
 * different systems). Nothing was changed; the message reaches the fleet as {@code CommandResult.error}.
 */
public class FingerprintException extends RuntimeException {

    public FingerprintException(String message) {
        super(message);
    }

    public FingerprintException(String message, Throwable cause) {
        super(message, cause);
    }
}
