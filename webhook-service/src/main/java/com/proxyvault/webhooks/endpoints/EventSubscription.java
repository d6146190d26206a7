package com.proxyvault.webhooks.endpoints;

import com.proxyvault.contracts.events.EventRegistry;
import com.proxyvault.platform.http.ApiException;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The {@code events} field of a webhook: {@code "*"} for every webhook event, or a comma-separated list of
 * them ({@link EventRegistry}: anything else is a 422). Stored normalized (no spaces, no duplicates, in the order given) so that the fan-out can match it
 * in SQL ({@code events = '*' or type = any(string_to_array(events, ','))}).
 */
public final class EventSubscription {

    public static final String ALL = "*";

    private EventSubscription() {
    }

    /** Returns the normalized form, or throws a 422 naming what is wrong. */
    public static String normalize(String events) {
        Set<String> types = new LinkedHashSet<>();
        for (String part : events.split(",", -1)) {
            String type = part.strip();
            if (type.isEmpty()) {
                continue;
            }
            if (!type.equals(ALL) && !EventRegistry.find(type).isPresent()) {
                throw ApiException.unprocessable("Unknown event '" + type + "': use \"*\" or a comma-separated list of "
                        + String.join(", ", EventRegistry.names()));
            }
            types.add(type);
        }
        if (types.isEmpty()) {
            throw ApiException.unprocessable("events must be \"*\" or a comma-separated list of "
                    + String.join(", ", EventRegistry.names()));
        }
        // "*" already covers everything else in the list.
        return types.contains(ALL) ? ALL : String.join(",", types);
    }

    /** Same rule as the fan-out's SQL, for code that has a webhook in hand. */
    public static boolean matches(String normalizedEvents, String type) {
        return ALL.equals(normalizedEvents) || Set.of(normalizedEvents.split(",")).contains(type);
    }
}
