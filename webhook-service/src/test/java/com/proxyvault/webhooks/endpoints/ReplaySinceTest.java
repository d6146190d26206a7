package com.proxyvault.webhooks.endpoints;

import com.proxyvault.platform.http.ApiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.LocalDateTime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The {@code since} of {@code POST /v1/reseller/webhooks/{id}/replay} (docs/webhooks.md), without a server. */
class ReplaySinceTest {

    @Test
    void shouldReadTheApisTimestampForm() {
        assertEquals(LocalDateTime.of(2026, 5, 25, 12, 0), WebhookResource.parseSince("2026-05-25T12:00:00"));
    }

    /**
     * Found trying the API as a new user: {@code ...Z} was answered "since must be at most 19 characters"; later,
     * 11-31 was read as 11-30 and hour 24 as "in the future".
     */
    @ParameterizedTest
    @ValueSource(strings = {"2026-05-25T12:00:00Z", "2026-05-25T12:00:00+00:00", "2026-05-25T12:00:00.000",
            "2026-05-25", "yesterday", "2026-11-31T00:00:00", "2026-02-29T00:00:00", "2026-12-02T24:00:00"})
    void shouldNameTheExpectedFormForAnyOtherTimestamp(String raw) {
        ApiException e = assertThrows(ApiException.class, () -> WebhookResource.parseSince(raw));
        assertEquals(422, e.status());
        assertEquals("since must be a UTC timestamp like 2026-05-25T12:00:00", e.detail());
    }

    @Test
    void shouldStillBoundTheLengthAndRequireTheField() {
        assertEquals("since must be at most 64 characters",
                assertThrows(ApiException.class, () -> WebhookResource.parseSince("2".repeat(65))).detail());
        assertEquals("since is required", assertThrows(ApiException.class, () -> WebhookResource.parseSince(null)).detail());
    }
}
