package com.proxyvault.webhooks.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.proxyvault.contracts.events.EventEnvelope;
import com.proxyvault.contracts.events.EventJson;
import com.proxyvault.webhooks.WebhookFixtures;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Not a test: the measurement behind docs/webhooks.md "What one event costs" (the fan-out per poll), run by hand
 * on private infra and skipped otherwise:
 * {@code KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:<k> PV_PG_PORT=<pg> ./mvnw -pl contracts,platform,webhook-service test
 * -Dtest=FanoutCostMeasurementTest -Dsurefire.failIfNoSpecifiedTests=false -Dpv.measure=fanout}.
 *
 * <p>4 resellers with one {@code *} endpoint each on a receiver answering 200; {@code order.paid} and
 * {@code proxy.provisioned} in turn, keyed by reseller. After a warm-up, the idle rate of the service's database
 * (its 1 s sweep), then two runs: a burst (every event published at once: polls hold many) and a paced run at
 * 60 events/s (bench/pay's rate: polls hold one or a few). Counted: {@code pg_stat_database} commits + rollbacks
 * of the service's database from just before the first event until 12 s after the last delivery arrived
 * (backends report their counts late), less the idle rate over that span, per event; and, when the cluster has
 * {@code pg_stat_statements} (superuser {@code postgres} over trust on 127.0.0.1, as bin/stack's cluster), the
 * calls of each statement. The database is polled only through the receiver (in memory) while counting. Prints
 * lines starting with {@code FANOUT-COST}; asserts only that every event arrived once.
 */
@QuarkusTest
@EnabledIfSystemProperty(named = "pv.measure", matches = "fanout")
class FanoutCostMeasurementTest {

    private static final Duration PATIENCE = Duration.ofMinutes(5);
    private static final Duration STATS_LAG = Duration.ofSeconds(12);

    @ConfigProperty(name = "proxyvault.topic-prefix")
    String topicPrefix;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    ObjectMapper mapper;

    @Inject
    AgroalDataSource dataSource;

    private record Snapshot(long nanos, long transactions) {
    }

    @Test
    void shouldReportTransactionsPerEventFannedOut() throws Exception {
        List<Long> resellers = java.util.stream.Stream.generate(WebhookFixtures::newReseller).limit(4).toList();
        try (TestReceiver receiver = TestReceiver.answering200();
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all",
                     ProducerConfig.LINGER_MS_CONFIG, "0"), new StringSerializer(), new StringSerializer())) {
            for (long reseller : resellers) {
                WebhookFixtures.register(reseller, receiver.url("/" + reseller), "*");
            }
            int sent = 0;
            sent += publish(producer, resellers, 1000, 0);
            int warm = sent;
            await().atMost(PATIENCE).until(() -> receiver.received().size() >= warm);
            Thread.sleep(STATS_LAG.toMillis());

            Snapshot idleStart = snapshot();
            Thread.sleep(20_000);
            Snapshot idleEnd = snapshot();
            double idlePerSecond = (idleEnd.transactions() - idleStart.transactions())
                    / ((idleEnd.nanos() - idleStart.nanos()) / 1e9);
            System.out.printf("FANOUT-COST idle: %.2f transactions/s%n", idlePerSecond);

            for (String run : List.of("burst", "paced")) {
                int events = run.equals("burst") ? 2000 : 1800;
                resetStatements();
                Snapshot start = snapshot();
                sent += publish(producer, resellers, events, run.equals("burst") ? 0 : 60);
                int expected = sent;
                await().atMost(PATIENCE).until(() -> receiver.received().size() >= expected);
                Thread.sleep(STATS_LAG.toMillis());
                Snapshot end = snapshot();
                double seconds = (end.nanos() - start.nanos()) / 1e9;
                long transactions = end.transactions() - start.transactions();
                System.out.printf("FANOUT-COST %s: %d events in %.1f s (to 12 s after the last arrival): %d transactions, "
                                + "%.3f per event, net of idle %.3f per event%n", run, events, seconds, transactions,
                        (double) transactions / events, (transactions - idlePerSecond * seconds) / events);
                printStatements(run, events);
                assertEquals(expected, receiver.received().size(), "every event once");
            }
        }
    }

    /** {@code count} events in turn over the resellers and the two types; {@code perSecond} 0: all at once. */
    private int publish(KafkaProducer<String, String> producer, List<Long> resellers, int count, int perSecond) throws Exception {
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long reseller = resellers.get(i % resellers.size());
            EventEnvelope<?> event = (i / resellers.size()) % 2 == 0
                    ? WebhookFixtures.orderPaid(reseller) : WebhookFixtures.proxyProvisioned(reseller);
            producer.send(new ProducerRecord<>(topicPrefix + event.type(), event.partitionKey(), EventJson.write(mapper, event)));
            if (perSecond > 0) {
                long due = start + (long) ((i + 1) * 1e9 / perSecond);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
        }
        producer.flush();
        return count;
    }

    private Snapshot snapshot() throws Exception {
        try (Connection connection = dataSource.getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(
                     "select xact_commit + xact_rollback from pg_stat_database where datname = current_database()")) {
            rows.next();
            return new Snapshot(System.nanoTime(), rows.getLong(1));
        }
    }

    private static Connection superuser() throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + System.getenv().getOrDefault("PV_PG_PORT", "5432")
                + "/postgres", "postgres", "");
    }

    private static void resetStatements() {
        try (Connection connection = superuser(); Statement statement = connection.createStatement()) {
            statement.execute("select pg_stat_statements_reset()");
        } catch (Exception e) {
            System.out.println("FANOUT-COST no pg_stat_statements: " + e.getMessage());
        }
    }

    private static void printStatements(String run, int events) {
        try (Connection connection = superuser(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("""
                     select s.calls, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 110)
                     from pg_stat_statements s join pg_database d on d.oid = s.dbid
                     where d.datname = 'webhooks_test' and s.calls > 0 order by s.calls desc limit 10""")) {
            while (rows.next()) {
                System.out.printf("FANOUT-COST %s statement: %6d calls, %.3f per event: %s%n", run, rows.getLong(1),
                        rows.getLong(1) / (double) events, rows.getString(2));
            }
        } catch (Exception e) {
            System.out.println("FANOUT-COST no pg_stat_statements: " + e.getMessage());
        }
    }
}
