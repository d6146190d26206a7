package com.proxyvault.contracts.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.LocalDateTime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventEnvelopeTest {

    private final ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());
    private final LocalDateTime at = LocalDateTime.of(2026, 5, 25, 12, 0, 0);

    @Test
    void shouldWriteEveryEventTypeAsItsSchemaSays() {
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_PAID, 7,
                new OrderPaid(42, 1, 2, "Multi Hop Proxy", "24 Hour", new BigDecimal("20.00"), "day", 1, at))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONED, 7,
                new ProxyProvisioned(1, 42, "5E9F-2026-03-09", "127.0.0.1", 8000, "user123", "pass456", "LAX", "active", at))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISIONING, 7,
                new ProxyProvisioning(1, 42, "LAX"))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.CHARGE_POSTED, 7,
                new ChargePosted("order:42", new BigDecimal("20.00"), new BigDecimal("80.00"), at))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_EXPIRED, 7,
                new ProxyExpired(1, 42, at))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_PROVISION_FAILED, 7,
                new ProxyProvisionFailed(42, "No free modem"))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_CANCELLED, 7,
                new OrderCancelled(42, OrderCancelled.UNPAID_TIMEOUT, at))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_FAILED, 7,
                new OrderFailed(42, "No free modem", new BigDecimal("20.00"), "order:42", at))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_FAILED, 7,
                new OrderFailed(42, "No free modem", new BigDecimal("0.00"), null, at))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_PAID, 7,
                new OrderPaid(43, 1, 2, "Multi Hop Proxy", "24 Hour", new BigDecimal("20.00"), "day", 1, at, 5L))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_CANCELLED, 7,
                new OrderCancelled(43, OrderCancelled.INSUFFICIENT_BALANCE, at, 5L))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.CHARGE_REQUESTED, 7,
                new ChargeRequested(43, "order:43", new BigDecimal("20.00"), "Multi Hop Proxy — 24 Hour (renewal)"))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.CHARGE_REFUSED, 7,
                new ChargeRefused(43, "order:43", new BigDecimal("20.00"), ChargeRefused.INSUFFICIENT_BALANCE))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_RENEWAL_DUE, 7,
                new ProxyRenewalDue(5, 42, at, "PT1H"))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_RENEWED, 7,
                new ProxyRenewed(5, 43, at, at.plusDays(1)))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_EXPIRING, 7,
                new ProxyExpiring(5, 42, at, true, ProxyExpiring.INSUFFICIENT_BALANCE))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_IP_ROTATED, 7,
                new ProxyIpRotated(5, 42, "203.0.113.10", "203.0.113.77", "hard", 3, ProxyIpRotated.RESET))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_IP_ROTATED, 7,
                new ProxyIpRotated(5, 42, "203.0.113.10", "203.0.113.77", "fast", 1, ProxyIpRotated.MODEM_RESET))));
        // old_ip null: the fleet knew no exit IP for the modem before the reset (its agent announced none)
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_IP_ROTATED, 7,
                new ProxyIpRotated(5, 42, null, "203.0.113.77", "fast", 1, ProxyIpRotated.RESET))));
        // without trigger: the shape of the events written before the field
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_IP_ROTATED, 7,
                new ProxyIpRotated(5, 42, "203.0.113.10", "203.0.113.77", "hard", 3, null))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_ROTATION_FAILED, 7,
                new ProxyRotationFailed(5, 42, "fast", "203.0.113.10", "The modem could not do it: modem did not come back",
                        "service_unavailable", 1))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_ROTATION_FAILED, 7,
                new ProxyRotationFailed(5, 42, "hard", null, "not reachable", "agent_not_acknowledged", 0))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_OFFLINE, 7,
                new ProxyOffline(5, 42, at))));
        EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_ONLINE, 7,
                new ProxyOnline(5, 42))));
    }

    @Test
    void shouldLeaveThePurchaseFieldsOutOfAPurchasesEvents() {
        String paid = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_PAID, 7,
                new OrderPaid(42, 1, 2, "Multi Hop Proxy", "24 Hour", new BigDecimal("20.00"), "day", 1, at)));
        assertTrue(!paid.contains("renews_proxy_id") && !paid.contains("\"renewal\""), paid);
        String renewal = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_PAID, 7,
                new OrderPaid(43, 1, 2, "Multi Hop Proxy", "24 Hour", new BigDecimal("20.00"), "day", 1, at, 5L)));
        assertTrue(renewal.contains("\"renews_proxy_id\":5"), renewal);
        String unknownReason = EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_EXPIRING, 7,
                new ProxyExpiring(5, 42, at, false, "because")));
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(unknownReason));
    }

    /** Fleet-wide: reseller_id 0, the location's id as written by the fleet's trigger (docs/events.md "Locations"). */
    @Test
    void shouldDescribeALocationWithoutAReseller() {
        String json = EventJson.write(mapper, EventEnvelope.of(EventTypes.LOCATION_UPDATED, 0,
                new LocationUpdated("LAX", "Los Angeles", false, true, 3)));
        EventSchemas.assertValid(json);
        assertTrue(json.contains("\"is_5g\":false") && json.contains("\"location_id\":\"LAX\""), json);
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(json.replace("\"reseller_id\":0", "\"reseller_id\":7")));
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(json.replace("\"LAX\"", "\"lax\"")));
        assertEquals(new LocationUpdated("LAX", "Los Angeles", false, true, 3),
                EventJson.read(mapper, json, LocationUpdated.class).data());
        assertTrue(EventTypes.ALL.containsAll(EventTypes.FLEET_WIDE));
        assertTrue(EventRegistry.find(EventTypes.LOCATION_UPDATED).isEmpty(), "no webhook carries it");
    }

    @Test
    void shouldHaveASchemaForEveryEventType() {
        for (String type : EventTypes.ALL) {
            assertTrue(EventEnvelopeTest.class.getResource("/schemas/events/" + type + ".json") != null, type);
        }
    }

    @Test
    void shouldWriteTheRefundedAmountAsMoney() {
        String json = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_FAILED, 7,
                new OrderFailed(42, "No free modem", new BigDecimal("225.00"), "order:42", at)));
        assertTrue(json.contains("\"refunded_amount\":\"225.00\""), json);
        assertTrue(json.contains("\"charge_reference\":\"order:42\""), json);
        assertTrue(json.contains("\"failed_at\":\"2026-05-25T12:00:00\""), json);
        String numeric = json.replace("\"refunded_amount\":\"225.00\"", "\"refunded_amount\":225.00");
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(numeric));
        String cancelledWithoutReason = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_CANCELLED, 7,
                new OrderCancelled(42, "", at)));
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(cancelledWithoutReason));
    }

    @Test
    void shouldNameTheChargeExactlyWhenAnOrderFailureRefundsMoney() {
        String unpaid = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_FAILED, 7,
                new OrderFailed(42, "No free modem", new BigDecimal("0.00"), null, at)));
        assertTrue(!unpaid.contains("charge_reference"), "no charge, no field: " + unpaid);
        // money without the charge it gives back, or a charge with nothing to give back: refused
        String moneyWithoutCharge = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_FAILED, 7,
                new OrderFailed(42, "No free modem", new BigDecimal("20.00"), null, at)));
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(moneyWithoutCharge));
        String chargeWithoutMoney = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_FAILED, 7,
                new OrderFailed(42, "No free modem", new BigDecimal("0.00"), "order:42", at)));
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(chargeWithoutMoney));
        String emptyCharge = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_FAILED, 7,
                new OrderFailed(42, "No free modem", new BigDecimal("20.00"), "", at)));
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(emptyCharge));
        EventEnvelope<OrderFailed> written = EventEnvelope.of(EventTypes.ORDER_FAILED, 7,
                new OrderFailed(42, "No free modem", new BigDecimal("20.00"), "order:42", at));
        assertEquals(written, EventJson.read(mapper, EventJson.write(mapper, written), OrderFailed.class));
    }

    /**
     * A change of exit IP no reset made ({@code trigger} network; docs/fleet.md "Network changes"): {@code mode} "none"
     * and {@code attempts} 0, the fields present and typed as before; the schema holds each trigger to its own values.
     */
    @Test
    void shouldWriteANetworkChangeWithNoResetModeAndZeroAttempts() {
        String network = EventJson.write(mapper, EventEnvelope.of(EventTypes.PROXY_IP_ROTATED, 7,
                ProxyIpRotated.network(5, 42, "203.0.113.10", "203.0.113.77")));
        EventSchemas.assertValid(network);
        assertTrue(network.contains("\"mode\":\"none\",\"attempts\":0,\"trigger\":\"network\""), network);
        // a network change from no known IP is not announced, and says no reset mode
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(
                EventTypes.PROXY_IP_ROTATED, 7, ProxyIpRotated.network(5, 42, null, "203.0.113.77")))));
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(
                EventTypes.PROXY_IP_ROTATED, 7, new ProxyIpRotated(5, 42, "203.0.113.10", "203.0.113.77", "fast", 1,
                        ProxyIpRotated.NETWORK)))));
        // a reset (said or, before the field, implied) still names its mode and at least one attempt
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(
                EventTypes.PROXY_IP_ROTATED, 7, new ProxyIpRotated(5, 42, "203.0.113.10", "203.0.113.77",
                        ProxyIpRotated.NO_RESET, 0, ProxyIpRotated.RESET)))));
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(EventJson.write(mapper, EventEnvelope.of(
                EventTypes.PROXY_IP_ROTATED, 7, new ProxyIpRotated(5, 42, "203.0.113.10", "203.0.113.77", "fast", 0,
                        null)))));
    }

    @Test
    void shouldWriteMoneyAsStringAndTimesWithoutZone() {
        String json = EventJson.write(mapper, EventEnvelope.of(EventTypes.ORDER_PAID, 7,
                new OrderPaid(42, 1, 2, "Multi Hop Proxy", "24 Hour", new BigDecimal("20.00"), "day", 1, at)));
        assertTrue(json.contains("\"amount_usd\":\"20.00\""), json);
        assertTrue(json.contains("\"paid_at\":\"2026-05-25T12:00:00\""), json);
        assertTrue(json.contains("\"reseller_id\":7"), json);
    }

    @Test
    void shouldReadBackWhatItWrote() {
        EventEnvelope<OrderPaid> written = EventEnvelope.of(EventTypes.ORDER_PAID, 7,
                new OrderPaid(42, 1, 2, "Multi Hop Proxy", "24 Hour", new BigDecimal("20.00"), "day", 1, at));
        EventEnvelope<OrderPaid> read = EventJson.read(mapper, EventJson.write(mapper, written), OrderPaid.class);
        assertEquals(written, read);
    }

    @Test
    void shouldRejectAnEventThatBreaksItsSchema() {
        String missingData = "{\"id\":\"0b0c5e1a-0000-4000-8000-000000000000\",\"type\":\"order.paid\","
                + "\"occurred_at\":\"2026-05-25T12:00:00\",\"reseller_id\":7,\"data\":{}}";
        assertThrows(AssertionError.class, () -> EventSchemas.assertValid(missingData));
    }
}
