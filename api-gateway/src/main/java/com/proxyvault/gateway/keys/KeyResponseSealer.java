package com.proxyvault.gateway.keys;

import io.smallrye.jwt.util.ResourceUtils;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * Seals the stored answer of an idempotent {@code POST /v1/reseller/keys}, which holds a live key in
 * plaintext, before it goes into {@code idempotency_keys} (docs/api.md, "Idempotency-Key"): AES-256-GCM
 * with a random 12-byte nonce ({@code nonce || ciphertext+tag}). The AES key is derived (SHA-256 with a
 * label) from the gateway's internal-JWT signing key, a secret every gateway replica already holds, so
 * the database alone never reveals a key and no new secret has to be managed.
 */
@Singleton
public class KeyResponseSealer {

    private static final String LABEL = "proxyvault idempotent key response v1\n";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    public KeyResponseSealer(@ConfigProperty(name = "smallrye.jwt.sign.key.location") String signingKeyLocation) {
        try {
            String signingKey = ResourceUtils.readResource(signingKeyLocation);
            if (signingKey == null) {
                throw new IllegalStateException("Cannot read " + signingKeyLocation);
            }
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(LABEL.getBytes(StandardCharsets.UTF_8));
            this.key = new SecretKeySpec(sha256.digest(signingKey.getBytes(StandardCharsets.UTF_8)), "AES");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public byte[] seal(byte[] plaintext) {
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            byte[] sealed = cipher.doFinal(plaintext);
            return ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The plaintext; throws when the bytes were not sealed with this key (tampered or another key). */
    public byte[] open(byte[] sealed) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed, 0, 12));
            return cipher.doFinal(sealed, 12, sealed.length - 12);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Stored answer cannot be opened", e);
        }
    }
}
