package com.proxyvault.agent.modems;

/** A modem did not do what it was asked (reset, reconnect); the message says what, for the fleet's error. */
public class ModemException extends RuntimeException {

    public ModemException(String message) {
        super(message);
    }

    public ModemException(String message, Throwable cause) {
        super(message, cause);
    }
}
