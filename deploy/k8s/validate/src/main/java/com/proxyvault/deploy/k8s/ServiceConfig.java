package com.proxyvault.deploy.k8s;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What one service needs from its deployment, read from its own sources rather than written down a
 * second time: the environment variables its {@code %prod} configuration cannot do without, and the
 * Kafka topics it consumes and produces.
 *
 * @param requiredEnv   variable → why it is required
 * @param topics        topic → where it is used
 * @param jvmEntrypoint the image's entrypoint as {@code quarkus.jib.jvm-entrypoint} pins it (comma separated in the
 *                      properties), empty when Quarkus picks one by base image
 * @param reactivePool  {@code quarkus.datasource.reactive.max-size} as %prod reads it (a number, or an expression
 *                      such as {@code ${DB_POOL_SIZE:20}}); {@code null} when the service has no database, and
 *                      {@code "20"} (Quarkus' default) when it has one but does not set it
 */
public record ServiceConfig(String service, Map<String, String> requiredEnv, Map<String, String> topics,
                            List<String> jvmEntrypoint, String reactivePool) {

    /** Quarkus' {@code quarkus.datasource.reactive.max-size} when nothing sets it. */
    static final String DEFAULT_REACTIVE_POOL = "20";

    private static final Pattern ENV_REF = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::([^}]*))?}");
    private static final Pattern TOPIC_PREFIX = Pattern.compile("\\$\\{proxyvault\\.topic-prefix}");
    private static final Pattern CHANNEL_TOPIC = Pattern.compile("mp\\.messaging\\.(incoming|outgoing)\\.([^.]+)\\.(topic|connector)");
    private static final Pattern EVENT_TYPE_CONSTANT = Pattern.compile("public static final String ([A-Z_]+) = \"([^\"]+)\";");
    /** An event written to the outbox: the relay publishes it on the topic named by its type. */
    private static final Pattern OUTBOX_EVENT = Pattern.compile("EventEnvelope\\.of\\(\\s*EventTypes\\.([A-Z_]+)");

    /**
     * Reads {@code <repo>/<service>/src/main/resources/application.properties} (or {@code properties}
     * when given: tests pass altered copies) and the service's Java sources.
     */
    public static ServiceConfig read(Path repo, String service, Path properties) {
        var props = new Properties();
        try (Reader reader = Files.newBufferedReader(properties)) {
            props.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> effective = prodView(props);

        var required = new TreeMap<String, String>();
        effective.forEach((key, value) -> {
            var m = ENV_REF.matcher(value);
            while (m.find()) {
                String var = m.group(1);
                String fallback = m.group(2);
                if (fallback == null) {
                    required.put(var, key + " has no default");
                } else if (fallback.contains("127.0.0.1") || fallback.contains("localhost")) {
                    // a local-stack address would be wrong in a cluster (docs/decisions.md: "the deployment sets them all")
                    required.put(var, key + " defaults to a loopback address (" + fallback + ")");
                }
            }
        });

        var topics = new TreeMap<String, String>();
        var channels = new TreeSet<String>();
        effective.keySet().forEach(key -> {
            var m = CHANNEL_TOPIC.matcher(key);
            if (m.matches() && "smallrye-kafka".equals(effective.getOrDefault(
                    "mp.messaging." + m.group(1) + "." + m.group(2) + ".connector", "smallrye-kafka"))) {
                channels.add(m.group(1) + "." + m.group(2));
            }
        });
        for (String channel : channels) {
            // The outbox channel's configured topic (outbox.unrouted) is never written to: the relay sets
            // every record's topic from its event type (platform OutboxRelay, OutgoingKafkaRecordMetadata).
            if (channel.equals("outgoing.outbox")) {
                continue;
            }
            // A pattern subscription (webhook-service's order.* and proxy.*) names no one topic: the topics it
            // sees are the ones producers write, and each of those is checked through its producer's outbox.
            if ("true".equals(effective.get("mp.messaging." + channel + ".pattern"))) {
                continue;
            }
            String topic = effective.getOrDefault("mp.messaging." + channel + ".topic", channel.substring(channel.indexOf('.') + 1));
            topic = TOPIC_PREFIX.matcher(topic).replaceAll("");
            topics.put(topic, "mp.messaging." + channel);
        }
        Path sources = repo.resolve(service).resolve("src/main/java");
        if (Files.isDirectory(sources)) {
            Map<String, String> eventTypes = eventTypes(repo);
            try (Stream<Path> files = Files.walk(sources)) {
                files.filter(p -> p.toString().endsWith(".java")).forEach(file -> {
                    var m = OUTBOX_EVENT.matcher(read(file));
                    while (m.find()) {
                        String topic = eventTypes.get(m.group(1));
                        if (topic == null) {
                            throw new IllegalStateException(file + ": EventTypes." + m.group(1) + " is not in contracts' EventTypes");
                        }
                        topics.putIfAbsent(topic, "produced via the outbox in " + sources.relativize(file));
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        String entrypoint = effective.getOrDefault("quarkus.jib.jvm-entrypoint", "");
        List<String> jvmEntrypoint = entrypoint.isBlank() ? List.of()
                : Stream.of(entrypoint.split(",")).map(String::strip).toList();
        String reactivePool = effective.containsKey("quarkus.datasource.db-kind")
                ? effective.getOrDefault("quarkus.datasource.reactive.max-size", DEFAULT_REACTIVE_POOL) : null;
        return new ServiceConfig(service, required, topics, jvmEntrypoint, reactivePool);
    }

    public static ServiceConfig read(Path repo, String service) {
        return read(repo, service, repo.resolve(service).resolve("src/main/resources/application.properties"));
    }

    /** The properties as the prod profile sees them: unprofiled keys, overridden by {@code %prod.} ones. */
    static Map<String, String> prodView(Properties props) {
        var base = new LinkedHashMap<String, String>();
        var prod = new LinkedHashMap<String, String>();
        for (String key : props.stringPropertyNames()) {
            if (!key.startsWith("%")) {
                base.put(key, props.getProperty(key));
                continue;
            }
            int dot = key.indexOf('.');
            Set<String> profiles = Set.of(key.substring(1, dot).split(","));
            if (profiles.contains("prod")) {
                prod.put(key.substring(dot + 1), props.getProperty(key));
            }
        }
        base.putAll(prod);
        return base;
    }

    /** contracts' EventTypes constants: name → event type (= topic). */
    static Map<String, String> eventTypes(Path repo) {
        Path file = repo.resolve("contracts/src/main/java/com/proxyvault/contracts/events/EventTypes.java");
        var map = new LinkedHashMap<String, String>();
        var m = EVENT_TYPE_CONSTANT.matcher(read(file));
        while (m.find()) {
            map.put(m.group(1), m.group(2));
        }
        return map;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
