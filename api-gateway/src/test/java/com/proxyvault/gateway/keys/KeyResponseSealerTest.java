package com.proxyvault.gateway.keys;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KeyResponseSealerTest {

    private static final String SIGNING_KEY = "file:../bin/dev-keys/internal-jwt-private.pem";

    @Test
    void shouldOpenWhatItSealedAndNothingElse() {
        KeyResponseSealer sealer = new KeyResponseSealer(SIGNING_KEY);
        byte[] answer = "{\"id\":1,\"key\":\"rv_secret\"}".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = sealer.seal(answer);
        assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("rv_secret"));
        assertArrayEquals(answer, sealer.open(sealed));
        assertArrayEquals(answer, new KeyResponseSealer(SIGNING_KEY).open(sealed), "every replica opens it");

        sealed[sealed.length - 1] ^= 1;
        byte[] tampered = sealed;
        assertThrows(IllegalStateException.class, () -> sealer.open(tampered));
        byte[] other = new KeyResponseSealer("file:../bin/dev-keys/operator-private.pem").seal(answer);
        assertThrows(IllegalStateException.class, () -> sealer.open(other), "another signing key cannot open it");
    }
}
