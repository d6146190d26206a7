package com.proxyvault.webhooks.delivery;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * The Standard Webhooks signature (https://www.standardwebhooks.com, the scheme of svix and the
 * {@code standardwebhooks} libraries): {@code webhook-signature: v1,<base64 HMAC-SHA256>} over
 * {@code <webhook-id>.<webhook-timestamp>.<raw body>}, keyed with the base64-decoded part of the secret
 * after {@code whsec_}. Secrets issued before issue 9 ({@code whsec_} + 64 hex characters) decode too:
 * hex digits are base64 characters, so those libraries accept them unchanged.
 */
public final class StandardWebhooksSigner {

    public static final String ID_HEADER = "webhook-id";
    public static final String TIMESTAMP_HEADER = "webhook-timestamp";
    public static final String SIGNATURE_HEADER = "webhook-signature";
    private static final String PREFIX = "whsec_";
    private static final String ALGORITHM = "HmacSHA256";

    private StandardWebhooksSigner() {
    }

    /**
     * @param secret    the endpoint's secret, {@code whsec_<base64>}
     * @param messageId the {@code webhook-id} value (the event id: the same on every retry)
     * @param timestamp the {@code webhook-timestamp} value, seconds since the epoch
     * @return {@code v1,<base64>}
     */
    public static String sign(String secret, String messageId, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key(secret), ALGORITHM));
            mac.update((messageId + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JRE", e);
        }
    }

    /** The HMAC key: base64 of what follows {@code whsec_}. */
    static byte[] key(String secret) {
        String encoded = secret.startsWith(PREFIX) ? secret.substring(PREFIX.length()) : secret;
        return Base64.getDecoder().decode(encoded);
    }
}
