package com.proxyvault.platform.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StrictJsonTest {

    private static final ObjectMapper STRICT = StrictJson.strictCopy(
            new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE));

    record Body(String reference, Long productId, boolean flag) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1,2", "{\"a\":", "{\"a\":1} x", "{}{}", "{} []", "{'a':1}", "{\"a\":01}", "nul"})
    void shouldRefuseMalformedJsonOrTrailingDataAs400(String body) {
        ApiException e = assertThrows(ApiException.class, () -> scan(body));
        assertEquals(400, e.status());
        assertEquals(ErrorCodes.MALFORMED_JSON, e.code());
        // what was wrong and where, in our words: never the parser's description of its input (Jackson's "[Source:
        // REDACTED (`StreamReadFeature...` disabled)" reached resellers, new-user review, stop 30, L1)
        assertTrue(e.getMessage().startsWith("Malformed JSON body: "), e.getMessage());
        assertTrue(!e.getMessage().contains("Source") && !e.getMessage().contains("StreamReadFeature")
                && !e.getMessage().contains("REDACTED"), e.getMessage());
    }

    @Test
    void shouldRefuseANumberBeyondTheParsersLimitAs422NamingTheFieldInOurWords() {
        // a 5,001-digit number is well-formed JSON: before, Jackson's StreamConstraintsException reached resellers
        // as 400 malformed_json quoting `StreamReadConstraints.getMaxNumberLength()` (new-user review, stop 33)
        ApiException e = assertThrows(ApiException.class,
                () -> scan("{\"product_id\": " + "9".repeat(5001) + "}"));
        assertEquals(422, e.status());
        assertEquals(ErrorCodes.VALIDATION_FAILED, e.code());
        assertEquals("product_id is out of range (more than 1000 digits)", e.getMessage());
    }

    @Test
    void shouldRefuseADocumentNestedBeyondTheParsersLimitAs422InOurWords() {
        ApiException e = assertThrows(ApiException.class, () -> scan("[".repeat(1001) + "]".repeat(1001)));
        assertEquals(422, e.status());
        assertEquals(ErrorCodes.VALIDATION_FAILED, e.code());
        assertTrue(!e.getMessage().contains("StreamReadConstraints"), e.getMessage());
        assertDoesNotThrow(() -> scan("[".repeat(999) + "]".repeat(999)));
    }

    @Test
    void shouldSayWhereAnUnfinishedDocumentEnds() {
        ApiException e = assertThrows(ApiException.class, () -> scan("{\"product_id\": 1, \"pricing_id\": 2"));
        assertTrue(e.getMessage().contains("line 1, column"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "{}", "{\"a\":[1,{\"b\":\"x\"}]}  \n", "[1,2]", "5", "\"é ✓\"",
            "{\"name\":\"\\ud83d\\ude00 a pair is one character\"}"})
    void shouldAcceptOneWellFormedDocument(String body) {
        assertDoesNotThrow(() -> scan(body));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"reference\":\"a\\u0000b\"}|reference",
            "{\"a\":{\"name\":\"x\\ty\"}}|a.name",
            "{\"list\":[\"ok\",\"x\\n\"]}|list[1]",
            "{\"reference\":\"x\\u007f\"}|reference",
            "{\"reference\":\"s\\ud800\"}|reference",
            "{\"name\":\"a\\udfffb\"}|name",
            "{\"a\":{\"name\":\"\\udbff\\udbff\\udc00\"}}|a.name",
            "{\"list\":[\"ok\",\"x\\ud800\"]}|list[1]",
            "{\"reference\":\"a\",\"reference\":\"b\"}|reference"})
    void shouldRefuseControlCharactersLoneSurrogatesAndRepeatedFieldsNamingTheField(String body, String field) {
        ApiException e = assertThrows(ApiException.class, () -> scan(body));
        assertEquals(422, e.status());
        assertEquals(ErrorCodes.VALIDATION_FAILED, e.code());
        assertTrue(e.detail().startsWith(field + " "), e.detail());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"reference\":5}|reference",
            "{\"reference\":true}|reference",
            "{\"reference\":1.5}|reference",
            "{\"reference\":{}}|reference",
            "{\"product_id\":\"1\"}|product_id",
            "{\"product_id\":1.0}|product_id",
            "{\"product_id\":true}|product_id",
            "{\"product_id\":99999999999999999999}|product_id",
            "{\"flag\":null}|flag",
            "{\"flag\":1}|flag",
            "{\"flag\":\"true\"}|flag",
            "{\"flag\":true,\"unknown\":1}|unknown"})
    void shouldRefuseCoercionsAndUnknownFieldsNamingTheField(String body, String field) {
        ApiException e = assertThrows(ApiException.class, () -> bind(body));
        assertEquals(422, e.status());
        assertEquals(ErrorCodes.VALIDATION_FAILED, e.code());
        assertTrue(e.detail().contains(field), e.detail());
    }

    @Test
    void shouldRefuseIllFormedUtf8As400EvenWhereJacksonWouldDecodeIt() {
        for (byte[] body : new byte[][]{
                {'{', '"', 'n', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'},   // overlong "/"
                {'{', '"', 'n', '"', ':', '"', (byte) 0xFF, '"', '}'},                // never valid
                {'{', '"', 'n', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}}) { // surrogate
            ApiException e = assertThrows(ApiException.class, () -> StrictJson.scan(STRICT.getFactory(), body));
            assertEquals(400, e.status());
            assertEquals("malformed_json", e.code());
        }
    }

    /**
     * RFC 8259 section 8.1: a parser may ignore a UTF-8 byte order mark, and it always was (a client that sent one
     * must keep working); a UTF-16 one means the text is not UTF-8, and the refusal names it (new-user review:
     * "not valid UTF-8" did not tell the sender what to change).
     */
    @Test
    void shouldIgnoreAUtf8ByteOrderMarkAndNameAUtf16One() {
        assertDoesNotThrow(() -> StrictJson.scan(STRICT.getFactory(), new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'}));
        ApiException alone = assertThrows(ApiException.class,
                () -> StrictJson.scan(STRICT.getFactory(), new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}));
        assertEquals("malformed_json", alone.code(), "a mark with no document after it is no document");
        assertTrue(alone.detail().contains("byte order mark and no JSON document"), alone.detail());
        for (byte[] body : new byte[][]{
                {(byte) 0xFF, (byte) 0xFE, '{', 0, '}', 0},                    // UTF-16LE
                {(byte) 0xFE, (byte) 0xFF, 0, '{', 0, '}'}}) {                 // UTF-16BE
            ApiException e = assertThrows(ApiException.class, () -> StrictJson.scan(STRICT.getFactory(), body));
            assertEquals(400, e.status());
            assertEquals("malformed_json", e.code());
            assertTrue(e.detail().contains("byte order mark"), e.detail());
        }
        // U+FEFF inside a string is a character like any other
        assertDoesNotThrow(() -> scan("{\"name\":\"a\uFEFFb\"}"));
    }

    /** An emoji leaves as its UTF-8 bytes, not as two surrogate escapes (new-user review 3: {"name":"\\uD83D\\uDE00"}). */
    @Test
    void shouldWriteACharacterOutsideTheBmpAsItsUtf8Bytes() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        new StrictJson().customize(mapper);
        byte[] written = mapper.writeValueAsBytes(java.util.Map.of("name", "k\uD83D\uDE00"));
        assertEquals("{\"name\":\"k\uD83D\uDE00\"}", new String(written, StandardCharsets.UTF_8));
    }

    @Test
    void shouldBindWhatIsExactlyRight() throws Exception {
        assertEquals(new Body("order:1", 7L, true), STRICT.readValue("{\"reference\":\"order:1\",\"product_id\":7,\"flag\":true}", Body.class));
    }

    private static void scan(String body) {
        StrictJson.scan(STRICT.getFactory(), body.getBytes(StandardCharsets.UTF_8));
    }

    private static void bind(String body) {
        try {
            STRICT.readValue(body, Body.class);
        } catch (JsonProcessingException e) {
            throw StrictJson.problem(e);
        }
    }
}
