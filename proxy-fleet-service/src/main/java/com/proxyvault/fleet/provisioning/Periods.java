package com.proxyvault.fleet.provisioning;

import java.time.LocalDateTime;

/** When a paid period that starts at {@code start} ends (calendar months, so "Monthly" from Jan 31 ends Feb 28/29). */
public final class Periods {

    /**
     * The latest expiry a proxy can have: the API's timestamps have four-digit years (the seed's
     * {@code 2026-05-25T12:00:00}); past 9999 Jackson writes {@code +10443-08-02T03:27:15}, which no client of the
     * seed parses, and further on PostgreSQL stores {@code infinity} (new-user review: ~100 renewals of a
     * 1,000-month tier). A renewal that would pass it is refused and refunded ({@code ProxyRenewals.renew}).
     */
    public static final LocalDateTime LATEST_END = LocalDateTime.of(9999, 12, 31, 23, 59, 59);

    private Periods() {
    }

    public static LocalDateTime end(LocalDateTime start, String periodType, int duration) {
        return switch (periodType) {
            case "hour" -> start.plusHours(duration);
            case "day" -> start.plusDays(duration);
            case "week" -> start.plusWeeks(duration);
            case "month" -> start.plusMonths(duration);
            default -> throw new IllegalArgumentException("Unknown period type " + periodType);
        };
    }
}
