package com.proxyvault.contracts.events;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code location.updated}: the fleet's current view of one location, a city resellers may ask for by
 * {@code location_id} (docs/events.md, "Locations"). Fleet-wide, not a reseller's: the envelope's
 * {@code reseller_id} is 0 and the Kafka key is {@code location_id}, so the topic can be compacted to the last
 * state of every location and a consumer reading it from the start learns them all.
 *
 * @param locationId the id resellers pass ({@code LAX}): 2-32 capital letters or digits
 * @param name       the city's name as {@code GET /proxies/{id}/locations} shows it
 * @param is5g       whether its modems are 5G
 * @param active     false once the location was removed from the fleet: no new purchase may name it
 * @param version    increases with every change of any location (a fleet database sequence): a consumer keeps
 *                   the highest it has seen per location, so a replayed older state never wins
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record LocationUpdated(String locationId, String name, @JsonProperty("is_5g") boolean is5g, boolean active,
                              long version) {
}
