package com.proxyvault.webhooks.delivery;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

/**
 * {@code X-ProxyVault-Signature}: lowercase hex HMAC-SHA256 of the raw request body, keyed with the UTF-8
 * bytes of the whole secret string ({@code whsec_...}), which is exactly what the seed's Python
 * ({@code hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}) and Node snippets compute.
 */
public final class PayloadSigner {

    private static final String ALGORITHM = "HmacSHA256";

    private PayloadSigner() {
    }

    public static String sign(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JRE", e);
        }
    }
}
