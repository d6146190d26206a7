package com.proxyvault.webhooks.endpoints;

/** A webhook host that resolves to an address the service must not call, or does not resolve at all. */
public class UnsafeWebhookTargetException extends RuntimeException {

    public UnsafeWebhookTargetException(String message) {
        super(message, null, false, false);
    }
}
