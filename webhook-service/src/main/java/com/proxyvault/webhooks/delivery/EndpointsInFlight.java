package com.proxyvault.webhooks.delivery;

import java.util.Map;

/**
 * Attempts a replica has in flight, by endpoint, as the two parallel arrays a claim statement unnests
 * ({@code unnest($n::bigint[], $m::int[]) as b(webhook_id, in_flight)}): the dispatcher's claim
 * ({@link DeliveryStore#claimDue}) and the fan-out's ({@link DeliveryDispatcher.FanoutClaim}) count them
 * against the per-endpoint limit, and the dispatcher's claim also counts them (and their resellers' sums) as
 * rows already taken when it orders its rounds (docs/webhooks.md "Fair order").
 *
 * @param webhookIds endpoints with at least one attempt in flight
 * @param counts     {@code counts[i]}: attempts in flight to {@code webhookIds[i]} (≥ 1)
 */
public record EndpointsInFlight(Long[] webhookIds, Integer[] counts) {

    /** From a snapshot of the counts by webhook id (endpoints with none may be left out). */
    static EndpointsInFlight of(Map<Long, Integer> inFlight) {
        Long[] ids = inFlight.keySet().toArray(new Long[0]);
        Integer[] counts = new Integer[ids.length];
        for (int i = 0; i < ids.length; i++) {
            counts[i] = inFlight.get(ids[i]);
        }
        return new EndpointsInFlight(ids, counts);
    }
}
