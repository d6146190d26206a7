package com.proxyvault.agent.proxy;

import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.ContentLengthNotAllowedException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;

import java.util.List;

/**
 * Which origin responses the HTTP proxy can relay without leaving the customer's client two ways to read them
 * (docs/device-agent.md "Responses from the origin"; RFC 9112 sections 6.1 and 6.3). Judged on the head Netty's
 * {@code HttpClientCodec} decoded, before anything of the response is written to the customer; a response refused here
 * gets a {@code 502} in plain text instead, and its origin connection is closed (RFC 9112 section 6.3 item 5: "the proxy
 * MUST close the connection to the server, discard the received response, and send a 502").
 *
 * <p>Netty's decoder (4.1.133, RFC 9112 transfer-encoding rules on by default) already refuses, as a failed head:
 * {@code Content-Length} beside a chunked {@code Transfer-Encoding}, {@code Transfer-Encoding} in an HTTP/1.0 message,
 * {@code chunked} before another coding, a repeated or invalid {@code Content-Length}, a malformed status line or
 * field, and a head past its limits (4096-byte status line, 8192-byte header block). Left to this class, which the
 * decoder reads one way and a client could read another:
 * <ul>
 *   <li>a version other than HTTP/1.x ({@code HTTP/2.0} over an HTTP/1.1 connection), which the decoder takes as
 *       it comes;</li>
 *   <li>a status code outside 100..599 (RFC 9112 section 4: {@code status-code = 3DIGIT}; RFC 9110 section 15: 100
 *       to 599), which the decoder reads with {@code Integer.parseInt} and the encoder writes back as a number:
 *       {@code 20}, {@code 2000} and {@code 600} went on as they came, {@code 099} as {@code 99};</li>
 *   <li>{@code 101 Switching Protocols}: the agent forwards no {@code Upgrade} (hop-by-hop), so a switch is one it
 *       never asked for (RFC 9110 section 15.2.2: a server must not switch to a protocol the client did not ask for);
 *       read as an interim response it left the client waiting until the origin closed;</li>
 *   <li>a control character other than HTAB in the reason phrase (RFC 9112 section 4: {@code reason-phrase = 1*( HTAB
 *       / SP / VCHAR / obs-text )}), which the decoder keeps (a NUL went on to the client);</li>
 *   <li>{@code Content-Length} beside a {@code Transfer-Encoding} that does not end in chunked: the decoder reads the
 *       length, RFC 9112 section 6.3 item 3 says the coding wins and the body ends at the close; treated as the
 *       error that section suggests, like the chunked case;</li>
 *   <li>{@code chunked} named more than once (RFC 9112 section 6.1): the decoder decodes it once;</li>
 *   <li>for an HTTP/1.0 customer, any transfer coding but {@code chunked} alone: HTTP/1.0 has none (RFC 9112 section
 *       6.1), the agent decodes chunked alone, and a coded body passed on raw would be taken for the content.</li>
 * </ul>
 * A response without a body (to HEAD, 1xx, 204, 304) ends at its empty line whatever its framing fields say (RFC 9112
 * section 6.3 items 1 and 2), so only its decoding and status line are judged. The status line costs every response
 * two comparisons and a loop over its reason phrase (two chars for {@code OK}), no allocation.
 */
final class ResponseFraming {

    private static final String CHUNKED = "chunked";
    private static final String BAD_RESPONSE = "Bad response from the origin: ";
    private static final int SWITCHING_PROTOCOLS = HttpResponseStatus.SWITCHING_PROTOCOLS.code();

    private ResponseFraming() {
    }

    /**
     * The 502's plain-text message for a response head the agent will not relay, or null when it relays it.
     *
     * @param response        the head as {@code HttpClientCodec} decoded it (a failed decoder result included)
     * @param bodyless        the response ends at its head (to HEAD, 1xx, 204, 304)
     * @param customerVersion the customer's request version: HTTP/1.0 or HTTP/1.1 ({@link RequestFraming} refused others)
     */
    static String refusal(HttpResponse response, boolean bodyless, HttpVersion customerVersion) {
        Throwable failure = response.decoderResult().cause();
        if (failure != null) {
            return BAD_RESPONSE + whyUndecodable(response.headers(), failure);
        }
        HttpVersion version = response.protocolVersion();
        if (version.majorVersion() != 1 || !"HTTP".equals(version.protocolName())) {
            return BAD_RESPONSE + version.text() + " is not HTTP/1.x";
        }
        HttpResponseStatus status = response.status();
        int code = status.code();
        if (code < 100 || code > 599) {
            // the decoder read the digits as a number, so 099 arrives as 99: refused here all the same
            return BAD_RESPONSE + "status code " + code + " is not three digits from 100 to 599";
        }
        if (code == SWITCHING_PROTOCOLS) {
            return BAD_RESPONSE + "101 Switching Protocols, but the agent asked for no upgrade";
        }
        if (hasControlCharacter(status.reasonPhrase())) {
            return BAD_RESPONSE + "control character in the reason phrase";
        }
        HttpHeaders headers = response.headers();
        if (bodyless || !headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return null; // the common case: one lookup
        }
        if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            return BAD_RESPONSE + "Content-Length beside Transfer-Encoding";
        }
        List<String> lines = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (lines.size() == 1 && CHUNKED.equalsIgnoreCase(lines.get(0).strip())) {
            return null; // chunked alone, nearly every coded response: no list to split
        }
        int chunked = 0;
        int codings = 0;
        for (String line : lines) {
            for (String coding : line.split(",")) {
                if (!coding.isBlank()) {
                    codings++;
                    chunked += CHUNKED.equalsIgnoreCase(coding.strip()) ? 1 : 0;
                }
            }
        }
        if (chunked > 1) {
            return BAD_RESPONSE + "Transfer-Encoding names chunked more than once";
        }
        if (HttpVersion.HTTP_1_0.equals(customerVersion) && !(chunked == 1 && codings == 1)) {
            return "The origin answered with Transfer-Encoding " + String.join(", ", lines).strip()
                    + ", which an HTTP/1.0 client cannot read";
        }
        return null;
    }

    /**
     * Whether {@code reasonPhrase} holds a CTL (0x00-0x1F, 0x7F) other than HTAB: RFC 9112 section 4 allows HTAB, SP,
     * VCHAR and obs-text (0x80-0xFF, which the decoder gives as one char per byte). A loop over a few chars, no copy.
     */
    private static boolean hasControlCharacter(String reasonPhrase) {
        for (int i = 0; i < reasonPhrase.length(); i++) {
            char c = reasonPhrase.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why Netty's decoder refused a head, in words for the customer. The decoder reports a repeated or invalid
     * {@code Content-Length} as a bare {@link IllegalArgumentException}, so the field is judged again with the same
     * rule ({@link HttpUtil#normalizeAndGetContentLength}) to tell it from a malformed line.
     */
    private static String whyUndecodable(HttpHeaders headers, Throwable failure) {
        if (failure instanceof TooLongFrameException) {
            return "head larger than the agent reads";
        }
        if (failure instanceof ContentLengthNotAllowedException) {
            return "Content-Length beside Transfer-Encoding";
        }
        if (failure instanceof TransferEncodingNotAllowedException) {
            return "Transfer-Encoding in an HTTP/1.0 response";
        }
        List<String> lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
        if (!lengths.isEmpty()) {
            try {
                HttpUtil.normalizeAndGetContentLength(lengths, false, false);
            } catch (IllegalArgumentException invalid) {
                return lengths.size() > 1 || lengths.get(0).indexOf(',') >= 0
                        ? "more than one Content-Length"
                        : "invalid Content-Length";
            }
        }
        // Netty refuses a list naming chunked before its last coding (RFC 9112 6.1 puts chunked last; 6.3 would read such
        // a response until the close): the one refusal of the decoder that a Transfer-Encoding field explains
        boolean chunkedSeen = false;
        String last = null;
        for (String coding : String.join(",", headers.getAll(HttpHeaderNames.TRANSFER_ENCODING)).split(",")) {
            if (!coding.isBlank()) {
                last = coding.strip();
                chunkedSeen |= CHUNKED.equalsIgnoreCase(last);
            }
        }
        if (chunkedSeen && !CHUNKED.equalsIgnoreCase(last)) {
            return "chunked before another Transfer-Encoding coding";
        }
        return "malformed status line or header";
    }
}
