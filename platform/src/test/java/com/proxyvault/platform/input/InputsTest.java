package com.proxyvault.platform.input;

import com.proxyvault.platform.http.ApiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared input rules: path/body ids, money, paging, strings and enumerations. */
class InputsTest {

    @ParameterizedTest
    @ValueSource(strings = {"1", "42", "9223372036854775807"})
    void shouldReadCanonicalPathIds(String raw) {
        assertEquals(Long.parseLong(raw), Ids.path(raw, "Order not found"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0", "01", "+1", "-1", "1e0", "1.0", " 1", "1 ", "0x1", "9223372036854775808",
            "99999999999999999999", "١", "abc"})
    void shouldAnswer404ForAnyOtherPathId(String raw) {
        ApiException e = assertThrows(ApiException.class, () -> Ids.path(raw, "Order not found"));
        assertEquals(404, e.status());
        assertEquals("not_found", e.code());
    }

    @Test
    void shouldRequirePositiveBodyIdsNamingTheField() {
        assertEquals(3L, Ids.body(3L, "product_id"));
        assertTrue(assertThrows(ApiException.class, () -> Ids.body(null, "product_id")).detail().startsWith("product_id"));
        assertEquals(422, assertThrows(ApiException.class, () -> Ids.body(0L, "pricing_id")).status());
        assertEquals(422, assertThrows(ApiException.class, () -> Ids.body(-4L, "pricing_id")).status());
    }

    @ParameterizedTest
    @CsvSource({"20,20.00", "20.5,20.50", "0.01,0.01", "1000000.00,1000000.00", "007,7.00",
            "00000000000000000000000001.00,1.00"})
    void shouldReadMoneyStrings(String raw, String expected) {
        assertEquals(new BigDecimal(expected), Amounts.positive(raw, "amount"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0", "0.00", "1e3", "1.234", "-5", " 5", "5 ", "0x10", "+5", "5.", ".5", "1,00",
            "1000000.01", "99999999999999999999", "NaN", "Infinity", "١"})
    void shouldRefuseAnyOtherMoneyForm(String raw) {
        ApiException e = assertThrows(ApiException.class, () -> Amounts.positive(raw, "amount"));
        assertEquals(422, e.status());
        assertTrue(e.detail().startsWith("amount"), e.detail());
    }

    /** The right form but too large says so, whatever its length (new-user review: it said "digits, at most 2 decimals"). */
    @ParameterizedTest
    @ValueSource(strings = {"1000000.01", "99999999999999999999", "12345678901234567890123.45"})
    void shouldNameTheMaximumForAWellFormedAmountTooLarge(String raw) {
        assertEquals("amount must be at most 1000000.00",
                assertThrows(ApiException.class, () -> Amounts.positive(raw, "amount")).detail());
    }

    @Test
    void shouldDefaultPagingWhenAbsent() {
        assertEquals(new Paging(50, 0), Paging.of(null, null));
        assertEquals(new Paging(100, 2147483647), Paging.of("100", "2147483647"));
        assertEquals(new Paging(1, 0), Paging.of("1", "0"));
        assertEquals(new Paging(50, 0), Paging.of("", ""));
    }

    @ParameterizedTest
    @CsvSource({"0,0,limit", "101,0,limit", "+5,0,limit", "1e1,0,limit", "05x,0,limit", "' 5',0,limit",
            "5,-1,offset", "5,2147483648,offset", "5,99999999999999999999,offset"})
    void shouldRefuseOtherPagingNamingTheParameter(String limit, String offset, String name) {
        ApiException e = assertThrows(ApiException.class, () -> Paging.of(limit, offset));
        assertEquals(422, e.status());
        assertTrue(e.detail().startsWith(name), e.detail());
        // the range in full: offset=2147483648 is refused for its upper bound, which the detail must name
        assertTrue(e.detail().endsWith(name.equals("limit") ? "from 1 to 100" : "from 0 to 2147483647"), e.detail());
    }

    @Test
    void shouldRefuseInvisibleFormattingCharactersInNamesNamingTheFirst() {
        assertEquals("École ab 😀", Texts.visible("École ab 😀", "name"));
        assertNull(Texts.visible(null, "name"));
        for (String invisible : new String[] {"a\u200Bb", "\u202Eab", "ab\uFEFF", "a\u00ADb", "a\u2060b"}) {
            ApiException e = assertThrows(ApiException.class, () -> Texts.visible(invisible, "name"));
            assertEquals(422, e.status());
            assertTrue(e.detail().startsWith("name must not contain invisible formatting characters (U+"), e.detail());
        }
    }

    @Test
    void shouldRefuseControlCharactersAndOverlongStrings() {
        assertEquals("dep-1", Texts.required("dep-1", "reference", 100));
        assertNull(Texts.optional(null, "description", 500));
        assertEquals(422, assertThrows(ApiException.class, () -> Texts.required("a\u0000b", "reference", 100)).status());
        assertEquals(422, assertThrows(ApiException.class, () -> Texts.required("a\tb", "reference", 100)).status());
        assertEquals(422, assertThrows(ApiException.class, () -> Texts.optional("x".repeat(101), "name", 100)).status());
        assertEquals(422, assertThrows(ApiException.class, () -> Texts.required(" ", "reference", 100)).status());
    }

    @Test
    void shouldCountCharactersNotUtf16UnitsAgainstTheLimit() {
        // "at most 100 characters": 100 emoji are 100 characters (200 UTF-16 units), found trying a key name
        String hundredRockets = "\uD83D\uDE80".repeat(100);
        assertEquals(hundredRockets, Texts.required(hundredRockets, "name", 100));
        ApiException e = assertThrows(ApiException.class, () -> Texts.required(hundredRockets + "\uD83D\uDE80", "name", 100));
        assertEquals(422, e.status());
        assertEquals("name must be at most 100 characters", e.detail());
    }

    @Test
    void shouldCompareEnumerationsExactly() {
        assertEquals("fast", Texts.oneOf("fast", "mode", List.of("fast", "hard"), true));
        assertNull(Texts.oneOf(null, "status", List.of("paid"), false));
        for (String other : new String[] {"FAST", " fast", "slow", ""}) {
            ApiException e = assertThrows(ApiException.class, () -> Texts.oneOf(other, "mode", List.of("fast", "hard"), true));
            assertEquals("mode must be one of fast, hard", e.detail());
        }
        assertEquals(422, assertThrows(ApiException.class, () -> Texts.oneOf(null, "mode", List.of("fast"), true)).status());
    }

    /** One check for every text read as UTF-8: JSON bodies (StrictJson) and the gateway's decoded query strings. */
    @Test
    void shouldTellWellFormedUtf8FromEveryIllFormedSequence() {
        assertTrue(Utf8.isWellFormed(new byte[0]));
        assertTrue(Utf8.isWellFormed("é ✓ \uD83D\uDE80 \uFEFF".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        for (byte[] bytes : new byte[][]{
                {(byte) 0xC0, (byte) 0xAF},                          // overlong "/"
                {(byte) 0xED, (byte) 0xA0, (byte) 0x80},             // an encoded surrogate
                {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // past U+10FFFF
                {(byte) 0x80},                                       // a stray continuation byte
                {'a', (byte) 0xE2, (byte) 0x9C},                     // cut short
                {(byte) 0xFF}}) {                                    // never in UTF-8
            assertFalse(Utf8.isWellFormed(bytes), java.util.HexFormat.of().formatHex(bytes));
        }
    }
}
