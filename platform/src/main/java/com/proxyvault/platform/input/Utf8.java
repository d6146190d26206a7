package com.proxyvault.platform.input;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The one UTF-8 check of the API: whatever it reads as text must be well-formed UTF-8 (RFC 3629), request
 * bodies (JSON is UTF-8, RFC 8259 §8.1; {@code StrictJson}) and percent-decoded query strings (RFC 3986 §2.5;
 * the gateway's {@code EdgeRequests}) alike.
 */
public final class Utf8 {

    private Utf8() {
    }

    /**
     * Whether {@code bytes} (any length, empty included) are well-formed UTF-8. Judged by the JDK's decoder
     * with errors reported, which refuses every sequence a lenient decoder lets through: an overlong form
     * ({@code C0 AF} read as "/" by Jackson's own decoder), an encoded surrogate ({@code ED A0 80}), a code
     * point past U+10FFFF, a stray continuation byte, a sequence cut short. A byte order mark ({@code EF BB BF})
     * is well-formed UTF-8: whether one is allowed is the caller's rule.
     */
    public static boolean isWellFormed(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
