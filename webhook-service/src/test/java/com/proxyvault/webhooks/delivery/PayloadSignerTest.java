package com.proxyvault.webhooks.delivery;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PayloadSignerTest {

    @Test
    void shouldProduceTheLowercaseHexHmacSha256ThatThePythonSnippetComputes() {
        // hmac.new(b"key", b"The quick brown fox jumps over the lazy dog", hashlib.sha256).hexdigest()
        assertEquals("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
                PayloadSigner.sign("key", "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8)));
    }
}
