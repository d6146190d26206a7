package com.proxyvault.systemtests;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/** The same token `bin/stack operator-token` prints: RS256, signed with the local stack's operator key. */
final class OperatorToken {

    private OperatorToken() {
    }

    static String sign() {
        try {
            String pem = Files.readString(Path.of(System.getProperty("proxyvault.operator-key", "../bin/dev-keys/operator-private.pem")));
            byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
            PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
            long now = System.currentTimeMillis() / 1000;
            String header = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
            String claims = b64("{\"iss\":\"proxyvault-operators\",\"sub\":\"system-tests\",\"groups\":[\"operator\"],\"iat\":"
                    + now + ",\"exp\":" + (now + 3600) + "}");
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(key);
            rsa.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
            return header + "." + claims + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(rsa.sign());
        } catch (Exception e) {
            throw new IllegalStateException("Cannot sign an operator token", e);
        }
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
