package com.proxyvault.billing.charges;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.Resellers;
import com.proxyvault.contracts.events.ChargeRequested;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.contracts.events.EventSchemas;
import com.proxyvault.contracts.events.EventTypes;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Charges order-service requests by event ({@code charge.requested}: auto-renewals, docs/money.md
 * "Renewals") through a real Kafka topic: posted once however often the request arrives, announced as
 * {@code charge.posted}; refused for the balance with {@code charge.refused} and no money moved. One
 * reseller's messages share a partition, so once the marker's charge is in the ledger every earlier
 * request has been handled.
 */
@QuarkusTest
class ChargeRequestedTest {

    @Inject
    LedgerTables tables;
    @Inject
    ObjectMapper mapper;
    @ConfigProperty(name = "proxyvault.topic-prefix")
    String topicPrefix;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void shouldPostARequestedChargeOnceAndRefuseOneTheBalanceCannotCover() throws Exception {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "250.00", "dep-1").statusCode(201);

        String renewal = request(reseller, 9001, "225.00");
        send(reseller, renewal);
        send(reseller, renewal); // redelivered
        send(reseller, request(reseller, 9001, "225.00")); // asked again under a new event id
        send(reseller, request(reseller, 9002, "225.00")); // 25.00 left: refused
        send(reseller, request(reseller, 9003, "10.00")); // the marker
        tables.awaitEntry(reseller, "order:9003");

        assertEquals(List.of("order:9001", "order:9003"), tables.entries(reseller).stream()
                .filter(entry -> entry.kind().equals("charge")).map(LedgerTables.Entry::reference).toList());
        assertEquals("15.00", BillingApi.balanceOf(reseller));
        assertEquals(tables.accountBalance(reseller), tables.ledgerSum(reseller));
        assertEquals(1, tables.queryLong("select count(*) from ledger_entries where reseller_id = " + reseller
                + " and reference = 'order:9001' and order_id = 9001"), "the charge names its order");
        assertEquals(1, outbox(EventTypes.CHARGE_POSTED, reseller, "\"reference\":\"order:9001\""));
        assertEquals(1, outbox(EventTypes.CHARGE_REFUSED, reseller,
                "\"order_id\":9002,\"reference\":\"order:9002\",\"amount\":\"225.00\",\"reason\":\"insufficient_balance\""));
        assertEquals(0, outbox(EventTypes.CHARGE_REFUSED, reseller, "\"order_id\":9001,"));
        assertEquals(0, tables.queryLong("select count(*) from dead_letter_events where payload like '%\"reseller_id\":"
                + reseller + ",%'"), "a refusal is an answer, not a failure");
    }

    private String request(long reseller, long orderId, String amount) {
        String json = EventJson.write(mapper, EventEnvelope.of(EventTypes.CHARGE_REQUESTED, reseller,
                new ChargeRequested(orderId, "order:" + orderId, new BigDecimal(amount), "Multi Hop Proxy — Monthly (auto-renewal)")));
        EventSchemas.assertValid(json);
        return json;
    }

    private void send(long reseller, String json) throws Exception {
        try (var producer = new KafkaProducer<String, String>(Map.of("bootstrap.servers", bootstrap, "acks", "all"),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topicPrefix + EventTypes.CHARGE_REQUESTED, Long.toString(reseller), json)).get();
        }
    }

    private long outbox(String type, long reseller, String fragment) {
        return tables.queryLong("select count(*) from outbox_events where topic = '" + type + "' and payload like '%\"reseller_id\":"
                + reseller + ",%' and payload like '%" + fragment + "%'");
    }
}
