package com.proxyvault.agent.proxy;

/** A proxy could not be opened; the message is meant for the fleet (it goes into CommandResult.error). */
public class ProxyException extends RuntimeException {

    public ProxyException(String message) {
        super(message);
    }

    public ProxyException(String message, Throwable cause) {
        super(message, cause);
    }
}
