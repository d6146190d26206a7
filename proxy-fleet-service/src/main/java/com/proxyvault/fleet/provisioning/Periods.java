package com.proxyvault.fleet.provisioning;

import java.time.LocalDateTime;

/** When a paid period that starts at {@code start} ends (calendar months, so "Monthly" from Jan 31 ends Feb 28/29). */
public final class Periods {

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
