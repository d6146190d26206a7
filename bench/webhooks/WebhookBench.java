import com.sun.net.httpserver.HttpServer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * bench/webhooks (issue 9 item 7): signed, persisted webhook deliveries per second to a local sink, and
 * event-to-delivery latency at a fixed rate, against the running stack. Run through bench/webhooks/run.
 *
 * <p>Args: gatewayUrl kafkaBootstrap topicPrefix throughputKey throughputResellerId latencyKey latencyResellerId
 * events endpoints rate seconds. Events are order.cancelled envelopes (consumed by no other service) sent straight to Kafka (acks=all), keyed by
 * reseller. The sink (127.0.0.1, 204 to every request) checks every X-ProxyVault-Signature with the
 * endpoint's secret. Latency = Kafka ack of the event → its first request at the sink; the event's own
 * outbox hop (~tens of ms, docs/architecture.md) comes before that and is not included.
 * Prints one line of JSON with the results.
 */
public class WebhookBench {

    static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");
    static final Pattern SECRET = Pattern.compile("\"secret\"\\s*:\\s*\"([^\"]+)\"");
    static final Pattern EVENT_ID = Pattern.compile("\"id\":\"([0-9a-f-]{36})\"");

    static final Map<String, String> secrets = new ConcurrentHashMap<>();   // path -> secret
    static final Map<String, Long> sentAt = new ConcurrentHashMap<>();      // event id -> nanos at ack
    static final Map<String, Long> firstSeen = new ConcurrentHashMap<>();   // event id -> nanos at sink
    static final AtomicInteger received = new AtomicInteger();
    static final AtomicInteger badSignatures = new AtomicInteger();
    static final AtomicLong firstDelivery = new AtomicLong();
    static final AtomicLong lastDelivery = new AtomicLong();

    public static void main(String[] args) throws Exception {
        String gateway = args[0];
        String bootstrap = args[1];
        String prefix = args[2];
        String throughputKey = args[3];
        long throughputReseller = Long.parseLong(args[4]);
        String latencyKey = args[5];
        long latencyReseller = Long.parseLong(args[6]);
        int events = Integer.parseInt(args[7]);
        int endpoints = Integer.parseInt(args[8]);
        int rate = Integer.parseInt(args[9]);
        int seconds = Integer.parseInt(args[10]);

        HttpServer sink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
        sink.setExecutor(Executors.newFixedThreadPool(16));
        sink.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            long now = System.nanoTime();
            String secret = secrets.get(exchange.getRequestURI().getPath());
            if (secret == null || !hex(secret, body).equals(exchange.getRequestHeaders().getFirst("X-ProxyVault-Signature"))) {
                badSignatures.incrementAndGet();
            }
            Matcher id = EVENT_ID.matcher(new String(body, 0, Math.min(body.length, 80), StandardCharsets.UTF_8));
            if (id.find()) {
                firstSeen.putIfAbsent(id.group(1), now);
            }
            firstDelivery.compareAndSet(0, now);
            lastDelivery.set(now);
            received.incrementAndGet();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        sink.start();
        String sinkUrl = "http://127.0.0.1:" + sink.getAddress().getPort();

        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < endpoints; i++) {
            register(http, gateway, throughputKey, sinkUrl + "/t" + i);
        }
        register(http, gateway, latencyKey, sinkUrl + "/l0");

        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        // order.cancelled: a webhook event that no other service consumes, so the bench's made-up orders
        // never reach the fleet (order.paid would provision proxies for them and take every modem).
        String topic = prefix + "order.cancelled";
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            // 1. Throughput: `events` events at once, each fanned out to `endpoints` endpoints.
            long start = System.nanoTime();
            List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
            for (int i = 0; i < events; i++) {
                acks.add(producer.send(new ProducerRecord<>(topic, Long.toString(throughputReseller),
                        envelope(UUID.randomUUID().toString(), throughputReseller, i))));
            }
            for (java.util.concurrent.Future<?> ack : acks) {
                ack.get();
            }
            long produced = System.nanoTime();
            int expected = events * endpoints;
            long deadline = System.nanoTime() + 600_000_000_000L;
            while (received.get() < expected && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            int throughputDeliveries = received.get();
            double fromFirstDelivery = throughputDeliveries / ((lastDelivery.get() - firstDelivery.get()) / 1e9);
            double fromFirstEvent = throughputDeliveries / ((lastDelivery.get() - start) / 1e9);

            // 2. Latency: `rate` events per second for `seconds`, one endpoint.
            firstSeen.clear();
            List<String> ids = new ArrayList<>();
            long interval = 1_000_000_000L / rate;
            long next = System.nanoTime();
            for (int i = 0; i < rate * seconds; i++) {
                while (System.nanoTime() < next) {
                    Thread.onSpinWait();
                }
                next += interval;
                String id = UUID.randomUUID().toString();
                ids.add(id);
                producer.send(new ProducerRecord<>(topic, Long.toString(latencyReseller), envelope(id, latencyReseller, i)),
                        (metadata, error) -> sentAt.put(id, System.nanoTime()));
            }
            producer.flush();
            long latencyDeadline = System.nanoTime() + 120_000_000_000L;
            while (ids.stream().anyMatch(id -> !firstSeen.containsKey(id)) && System.nanoTime() < latencyDeadline) {
                Thread.sleep(50);
            }
            List<Double> latencies = new ArrayList<>();
            for (String id : ids) {
                Long seen = firstSeen.get(id);
                Long sent = sentAt.get(id);
                if (seen != null && sent != null) {
                    latencies.add(Math.max(0, seen - sent) / 1e6);
                }
            }
            Collections.sort(latencies);
            System.out.printf(java.util.Locale.ROOT,
                    "{\"events\":%d,\"endpoints\":%d,\"deliveries\":%d,\"expected\":%d,\"produce_seconds\":%.2f,"
                            + "\"deliveries_per_second\":%.0f,\"deliveries_per_second_from_first_event\":%.0f,"
                            + "\"latency_rate\":%d,\"latency_seconds\":%d,\"latency_samples\":%d,\"latency_missing\":%d,"
                            + "\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f,\"bad_signatures\":%d}%n",
                    events, endpoints, throughputDeliveries, expected, (produced - start) / 1e9, fromFirstDelivery,
                    fromFirstEvent, rate, seconds, latencies.size(), ids.size() - latencies.size(),
                    percentile(latencies, 50), percentile(latencies, 99),
                    latencies.isEmpty() ? 0 : latencies.get(latencies.size() - 1), badSignatures.get());
        } finally {
            sink.stop(0);
            System.exit(0);
        }
    }

    static void register(HttpClient http, String gateway, String key, String url) throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(gateway + "/v1/reseller/webhooks"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"" + url + "\",\"events\":\"order.cancelled\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 201) {
            throw new IllegalStateException("registering " + url + ": " + created.statusCode() + " " + created.body());
        }
        Matcher secret = SECRET.matcher(created.body());
        secret.find();
        secrets.put(URI.create(url).getPath(), secret.group(1));
    }

    static String envelope(String id, long reseller, int n) {
        String now = LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss"));
        return "{\"id\":\"" + id + "\",\"type\":\"order.cancelled\",\"occurred_at\":\"" + now + "\",\"reseller_id\":" + reseller
                + ",\"data\":{\"order_id\":" + (1_000_000 + n) + ",\"reason\":\"unpaid_timeout\",\"cancelled_at\":\"" + now + "\"}}";
    }

    static String hex(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static double percentile(List<Double> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
