package com.proxyvault.billing.refunds;

import com.proxyvault.billing.support.BillingApi;
import com.proxyvault.billing.support.LedgerTables;
import com.proxyvault.billing.support.LedgerTables.Entry;
import com.proxyvault.billing.support.ProvisionFailures;
import com.proxyvault.billing.support.Resellers;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.ProxyProvisionFailed;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Refunds that fail. A trigger on {@code processed_events} makes the refund transaction of one chosen event
 * fail a set number of times (counted by a sequence, which a rollback does not undo), so the number of
 * attempts is exact and nothing depends on timing. The %test profile allows 3 retries.
 */
@QuarkusTest
class RefundFailureTest {

    @Inject
    LedgerTables tables;
    @Inject
    ProvisionFailures failures;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @AfterEach
    void removeFault() throws SQLException {
        tables.execute("drop trigger if exists test_refund_fault on processed_events");
        tables.execute("drop function if exists test_refund_fault()");
        tables.execute("drop sequence if exists test_refund_fault_attempts");
    }

    @Test
    void shouldRetryARefundThatFailedAndApplyItOnce() throws SQLException {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "40.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:9001", "15.00").statusCode(201);
        EventEnvelope<ProxyProvisionFailed> event = failures.event(reseller, 9001, "No free modem");
        failFirstAttempts(event.id(), 2);

        failures.send(reseller, failures.json(event));
        tables.awaitEntry(reseller, "refund:order:9001");

        assertEquals(3, tables.queryLong("select last_value from test_refund_fault_attempts"), "two failures, then success");
        assertEquals("40.00", BillingApi.balanceOf(reseller));
        assertEquals(1, tables.entries(reseller).stream().filter(entry -> entry.kind().equals("refund")).count());
    }

    @Test
    void shouldDeadLetterARefundThatKeepsFailingAndGoOn() throws SQLException {
        long reseller = Resellers.fresh();
        BillingApi.topUp(reseller, "40.00", "dep-1").statusCode(201);
        BillingApi.charge(reseller, "order:9101", "15.00").statusCode(201);
        BillingApi.charge(reseller, "order:9102", "5.00").statusCode(201);
        EventEnvelope<ProxyProvisionFailed> doomed = failures.event(reseller, 9101, "No free modem");
        String doomedJson = failures.json(doomed);
        failFirstAttempts(doomed.id(), Integer.MAX_VALUE);

        failures.send(reseller, doomedJson);
        failures.send(reseller, 9102, "No free modem");
        tables.awaitEntry(reseller, "refund:order:9102");

        assertEquals(4, tables.queryLong("select last_value from test_refund_fault_attempts"), "first attempt and 3 retries");
        assertEquals(List.of("topup:dep-1", "order:9101", "order:9102", "refund:order:9102"),
                tables.entries(reseller).stream().map(Entry::reference).toList());
        ConsumerRecord<String, String> parked = awaitDeadLetter(doomed.id());
        assertEquals(doomedJson, parked.value());
        assertNotNull(parked.headers().lastHeader("dead-letter-reason"), "the DLQ record says why it is there");
    }

    private void failFirstAttempts(UUID eventId, int failures) throws SQLException {
        tables.execute("create sequence test_refund_fault_attempts");
        tables.execute("""
                create function test_refund_fault() returns trigger language plpgsql as $$
                begin
                    if new.event_id = '%s' and nextval('test_refund_fault_attempts') <= %d then
                        raise exception 'injected refund failure';
                    end if;
                    return new;
                end $$""".formatted(eventId, failures));
        tables.execute("""
                create trigger test_refund_fault before insert on processed_events
                for each row execute function test_refund_fault()""");
    }

    private ConsumerRecord<String, String> awaitDeadLetter(UUID eventId) {
        AtomicReference<ConsumerRecord<String, String>> found = new AtomicReference<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "billing-dlq-test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()))) {
            consumer.subscribe(List.of(failures.topic() + ".billing-dlq"));
            await().atMost(Duration.ofMinutes(2)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value() != null && record.value().contains(eventId.toString())) {
                        found.set(record);
                    }
                }
                return found.get() != null;
            });
        }
        assertTrue(found.get() != null);
        return found.get();
    }
}
