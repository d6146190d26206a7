package com.proxyvault.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks one rendered overlay (the multi-document YAML {@code kubectl kustomize} prints) offline:
 * <ol>
 *   <li>every document parses as its typed kind: Kubernetes kinds through the fabric8 model, operator
 *       kinds against their CRD's schema ({@link CrdSchemas}); a kind neither knows is an error;</li>
 *   <li>no unknown or misspelled field anywhere (fabric8 keeps them in {@code additionalProperties} at
 *       any depth; the CRD schemas are made strict);</li>
 *   <li>the house rules of issue 10: selectors match pod labels, every container has liveness,
 *       readiness and startup probes and CPU/memory requests and limits, no {@code :latest} or
 *       untagged image, every referenced ConfigMap/Secret/ServiceAccount exists or is documented as
 *       external, every Service selects a workload, every topic a service uses has a KafkaTopic, every
 *       environment variable a service needs in {@code %prod} is set;</li>
 *   <li>and ours: nothing but the gateway's Ingress and the agents' LoadBalancer reaches outside, topics
 *       fit their brokers with a min ISR below their replicas, NetworkPolicy selectors match pods,
 *       PDBs/HPAs/ServiceMonitors/Ingress backends point at something, no Secret carries a value, a JVM's heap
 *       leaves room beside it, a service with {@code JAVA_TOOL_OPTIONS} flags pins its image's entrypoint to
 *       {@code java}, and every service pod at its HPA maximum fits PostgreSQL's {@code max_connections}.</li>
 * </ol>
 * Findings are sentences naming the document ({@code Kind/name}) and the path; none means valid.
 */
public final class K8sValidator {

    private static final Pattern DOC_SEPARATOR = Pattern.compile("(?m)^---\\s*$");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesSerialization serialization = new KubernetesSerialization();
    private final CrdSchemas crdSchemas = new CrdSchemas();
    private final Map<String, ServiceConfig> services;
    private final Set<String> external;

    /**
     * @param services what each service needs, by its Deployment (and container) name
     * @param external {@code Kind/name} of objects that are not in the manifests on purpose (created by
     *                 ops, cert-manager ...), from docs/deploy.md's "What is external"
     */
    public K8sValidator(Map<String, ServiceConfig> services, Set<String> external) {
        this.services = services;
        this.external = external;
    }

    /** One document: its raw tree (for CRD schemas and messages) and its typed form. */
    private record Doc(String id, JsonNode raw, HasMetadata typed) {
    }

    public List<String> validate(String rendered) {
        var findings = new ArrayList<String>();
        var docs = new ArrayList<Doc>();
        int index = 0;
        for (String text : DOC_SEPARATOR.split(rendered)) {
            index++;
            if (text.isBlank() || text.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) {
                continue;
            }
            JsonNode raw;
            HasMetadata typed;
            try {
                raw = JSON.valueToTree(serialization.unmarshal(text, Map.class));
                typed = serialization.unmarshal(text, HasMetadata.class);
            } catch (RuntimeException e) {
                findings.add("document " + index + ": does not parse as its kind: " + rootMessage(e));
                continue;
            }
            String id = raw.path("kind").asText("?") + "/" + raw.path("metadata").path("name").asText("?");
            docs.add(new Doc(id, raw, typed));
        }
        for (Doc doc : docs) {
            checkSchema(doc, findings);
        }
        checkRules(docs, findings);
        return findings;
    }

    // ---------------------------------------------------------------------------------------------
    // 1 and 2: typed parse, unknown fields

    private void checkSchema(Doc doc, List<String> findings) {
        if (doc.typed instanceof GenericKubernetesResource generic) {
            String apiVersion = generic.getApiVersion();
            var schema = crdSchemas.schema(apiVersion, generic.getKind());
            if (schema.isEmpty()) {
                findings.add(doc.id + ": unknown kind " + generic.getKind() + " (" + apiVersion
                        + "): neither a Kubernetes kind nor a CRD in deploy/k8s/validate/src/main/resources/crd-schemas");
                return;
            }
            for (String message : crdSchemas.validate(schema.get(), doc.raw)) {
                findings.add(doc.id + ": " + message);
            }
            unknownFields(generic.getMetadata(), "metadata", doc.id, findings);
        } else {
            unknownFields(doc.typed, "", doc.id, findings);
        }
    }

    /** Walks a fabric8 model object: whatever Jackson could not map is in additionalProperties. */
    private static void unknownFields(Object node, String path, String id, List<String> findings) {
        if (node == null || node instanceof String || node instanceof Number || node instanceof Boolean
                || node instanceof Quantity || node instanceof IntOrString || node instanceof Enum<?>) {
            return;
        }
        if (node instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                unknownFields(item, path + "[" + i++ + "]", id, findings);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, id, findings));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            String name = getter.getName();
            if (!name.startsWith("get") || name.length() == 3) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            if (name.equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra) {
                    for (Object key : extra.keySet()) {
                        findings.add(id + ": unknown field " + (path.isEmpty() ? "" : path + ".") + key
                                + " (misspelled, or not in this apiVersion)");
                    }
                }
                continue;
            }
            String field = Character.toLowerCase(name.charAt(3)) + name.substring(4);
            unknownFields(value, path.isEmpty() ? field : path + "." + field, id, findings);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 3: house rules

    /** A workload's pod template, with the id of the workload. */
    private record Pods(String id, String name, LabelSelector selector, PodTemplateSpec template) {
    }

    private void checkRules(List<Doc> docs, List<String> findings) {
        var pods = new ArrayList<Pods>();
        var configMaps = new LinkedHashMap<String, ConfigMap>();
        var names = new HashSet<String>(); // Kind/name of everything in the overlay
        var services = new ArrayList<Service>();
        var topicsDeclared = new HashSet<String>();
        var kafkaClusters = new HashSet<String>();
        for (Doc doc : docs) {
            names.add(doc.id);
            HasMetadata o = doc.typed;
            if (o instanceof Deployment d && d.getSpec() != null) {
                pods.add(new Pods(doc.id, d.getMetadata().getName(), d.getSpec().getSelector(), d.getSpec().getTemplate()));
            } else if (o instanceof StatefulSet s && s.getSpec() != null) {
                pods.add(new Pods(doc.id, s.getMetadata().getName(), s.getSpec().getSelector(), s.getSpec().getTemplate()));
            } else if (o instanceof DaemonSet s && s.getSpec() != null) {
                pods.add(new Pods(doc.id, s.getMetadata().getName(), s.getSpec().getSelector(), s.getSpec().getTemplate()));
            } else if (o instanceof io.fabric8.kubernetes.api.model.Secret secret
                    && (secret.getData() != null && !secret.getData().isEmpty()
                    || secret.getStringData() != null && !secret.getStringData().isEmpty())) {
                // secrets are created by ops (docs/deploy.md, "What is external"), never committed
                findings.add(doc.id + ": a Secret with values in the manifests: secret values never go into git");
            } else if (o instanceof ConfigMap cm) {
                configMaps.put(cm.getMetadata().getName(), cm);
            } else if (o instanceof Service s) {
                services.add(s);
            } else if (o instanceof GenericKubernetesResource g && g.getKind().equals("KafkaTopic")) {
                JsonNode spec = doc.raw.path("spec");
                topicsDeclared.add(spec.path("topicName").asText(g.getMetadata().getName()));
                String cluster = g.getMetadata().getLabels() == null ? null : g.getMetadata().getLabels().get("strimzi.io/cluster");
                if (cluster == null) {
                    findings.add(doc.id + ": no strimzi.io/cluster label: no Kafka cluster's topic operator will manage it");
                } else if (docs.stream().noneMatch(d -> d.id.equals("Kafka/" + cluster))) {
                    findings.add(doc.id + ": strimzi.io/cluster names Kafka/" + cluster + ", which is not in the manifests");
                }
            } else if (o instanceof GenericKubernetesResource g && g.getKind().equals("Kafka")) {
                kafkaClusters.add(g.getMetadata().getName());
            }
        }

        for (Pods p : pods) {
            checkWorkload(p, configMaps, names, findings);
        }
        for (Service s : services) {
            checkService(s, pods, findings);
        }
        for (Doc doc : docs) {
            if (doc.typed instanceof PodDisruptionBudget pdb) {
                LabelSelector sel = pdb.getSpec().getSelector();
                if (pods.stream().noneMatch(p -> selects(sel, podLabels(p)))) {
                    findings.add(doc.id + ": selector " + describe(sel) + " matches no workload's pods");
                }
            } else if (doc.typed instanceof HorizontalPodAutoscaler hpa) {
                var ref = hpa.getSpec().getScaleTargetRef();
                if (!names.contains(ref.getKind() + "/" + ref.getName())) {
                    findings.add(doc.id + ": scaleTargetRef " + ref.getKind() + "/" + ref.getName() + " is not in the manifests");
                }
            } else if (doc.typed instanceof NetworkPolicy policy) {
                checkNetworkPolicy(doc.id, policy, pods, findings);
            } else if (doc.typed instanceof Ingress ingress) {
                checkIngress(doc.id, ingress, services, names, findings);
            } else if (doc.typed instanceof GenericKubernetesResource g) {
                checkCustomResourceRefs(doc, g, services, names, findings);
            }
        }

        // a topic's replicas need that many brokers, and min.insync.replicas must leave one to lose
        // (prod: 3 and 2), or producers with acks=all stop
        int brokers = docs.stream().filter(d -> d.raw.path("kind").asText().equals("KafkaNodePool"))
                .filter(d -> d.raw.path("spec").path("roles").toString().contains("\"broker\""))
                .mapToInt(d -> d.raw.path("spec").path("replicas").asInt(0)).sum();
        for (Doc doc : docs) {
            if (doc.raw.path("kind").asText().equals("KafkaTopic")) {
                int replicas = doc.raw.path("spec").path("replicas").asInt(-1);
                int minIsr = doc.raw.path("spec").path("config").path("min.insync.replicas").asInt(1);
                if (replicas > brokers) {
                    findings.add(doc.id + ": " + replicas + " replicas but the node pools have " + brokers + " brokers");
                }
                if (replicas > 1 && minIsr >= replicas) {
                    findings.add(doc.id + ": min.insync.replicas " + minIsr + " with " + replicas
                            + " replicas: one broker down stops every acks=all producer");
                }
            }
        }

        checkConnectionBudget(docs, pods, configMaps, findings);

        // every topic a service uses has a KafkaTopic
        for (Pods p : pods) {
            ServiceConfig config = this.services.get(p.name);
            if (config == null) {
                continue;
            }
            config.topics().forEach((topic, where) -> {
                if (!topicsDeclared.contains(topic)) {
                    findings.add(p.id + ": uses Kafka topic " + topic + " (" + where + ") but no KafkaTopic declares it");
                }
            });
        }
        // and every service we know is deployed
        for (String service : this.services.keySet()) {
            if (pods.stream().noneMatch(p -> p.name.equals(service))) {
                findings.add("Deployment/" + service + ": missing: the service has no workload in this overlay");
            }
        }
    }

    private void checkWorkload(Pods p, Map<String, ConfigMap> configMaps, Set<String> names, List<String> findings) {
        Map<String, String> labels = podLabels(p);
        if (p.selector == null || !selects(p.selector, labels)) {
            findings.add(p.id + ": selector " + describe(p.selector) + " does not match its pod template's labels " + labels);
        }
        var spec = p.template.getSpec();
        String sa = spec.getServiceAccountName();
        if (sa != null && !sa.equals("default")) {
            requireObject(p.id, "ServiceAccount", sa, names, findings);
        }
        if (spec.getImagePullSecrets() != null) {
            spec.getImagePullSecrets().forEach(s -> requireObject(p.id, "Secret", s.getName(), names, findings));
        }
        for (Volume v : Objects.requireNonNullElse(spec.getVolumes(), List.<Volume>of())) {
            if (v.getSecret() != null && !Boolean.TRUE.equals(v.getSecret().getOptional())) {
                requireObject(p.id, "Secret", v.getSecret().getSecretName(), names, findings);
            }
            if (v.getConfigMap() != null && !Boolean.TRUE.equals(v.getConfigMap().getOptional())) {
                requireObject(p.id, "ConfigMap", v.getConfigMap().getName(), names, findings);
            }
        }
        var all = new ArrayList<Container>(spec.getContainers());
        all.addAll(Objects.requireNonNullElse(spec.getInitContainers(), List.of()));
        for (Container c : all) {
            String cid = p.id + " container " + c.getName();
            boolean init = !spec.getContainers().contains(c);
            String image = Objects.requireNonNullElse(c.getImage(), "");
            String lastSegment = image.substring(image.lastIndexOf('/') + 1);
            if (!image.contains("@sha256:") && (!lastSegment.contains(":") || lastSegment.endsWith(":latest"))) {
                findings.add(cid + ": image " + image + " has no fixed tag (no :latest, no untagged images)");
            }
            var res = c.getResources();
            for (String kind : List.of("requests", "limits")) {
                Map<String, Quantity> q = res == null ? null : kind.equals("requests") ? res.getRequests() : res.getLimits();
                for (String r : List.of("cpu", "memory")) {
                    if (q == null || !q.containsKey(r)) {
                        findings.add(cid + ": no resources." + kind + "." + r);
                    }
                }
            }
            if (!init) {
                probe(cid, "livenessProbe", c.getLivenessProbe(), c, findings);
                probe(cid, "readinessProbe", c.getReadinessProbe(), c, findings);
                probe(cid, "startupProbe", c.getStartupProbe(), c, findings);
            }
            var envNames = new HashSet<String>();
            for (EnvVar e : Objects.requireNonNullElse(c.getEnv(), List.<EnvVar>of())) {
                envNames.add(e.getName());
                if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                    var ref = e.getValueFrom().getSecretKeyRef();
                    if (!Boolean.TRUE.equals(ref.getOptional())) {
                        requireObject(cid, "Secret", ref.getName(), names, findings);
                    }
                }
                if (e.getValueFrom() != null && e.getValueFrom().getConfigMapKeyRef() != null) {
                    var ref = e.getValueFrom().getConfigMapKeyRef();
                    ConfigMap cm = configMaps.get(ref.getName());
                    if (cm == null) {
                        requireObject(cid, "ConfigMap", ref.getName(), names, findings);
                    } else if (cm.getData() == null || !cm.getData().containsKey(ref.getKey())) {
                        findings.add(cid + ": env " + e.getName() + " reads key " + ref.getKey() + " that ConfigMap/" + ref.getName() + " does not have");
                    }
                }
            }
            for (EnvFromSource from : Objects.requireNonNullElse(c.getEnvFrom(), List.<EnvFromSource>of())) {
                if (from.getConfigMapRef() != null) {
                    ConfigMap cm = configMaps.get(from.getConfigMapRef().getName());
                    if (cm == null) {
                        requireObject(cid, "ConfigMap", from.getConfigMapRef().getName(), names, findings);
                    } else if (cm.getData() != null) {
                        String prefix = Objects.requireNonNullElse(from.getPrefix(), "");
                        cm.getData().keySet().forEach(k -> envNames.add(prefix + k));
                    }
                }
                if (from.getSecretRef() != null) {
                    // its keys are unknown here: a variable set only this way cannot be checked
                    requireObject(cid, "Secret", from.getSecretRef().getName(), names, findings);
                }
            }
            envNames.addAll(configFileVariables(cid, c, spec.getVolumes(), findings));
            ServiceConfig config = services.get(c.getName());
            if (!init) {
                checkJavaMemory(cid, c, configMaps, findings);
                checkJavaEntrypoint(cid, c, config, configMaps, findings);
            }
            if (config != null && !init) {
                config.requiredEnv().forEach((var, why) -> {
                    if (!envNames.contains(var)) {
                        findings.add(cid + ": environment variable " + var + " is not set (" + c.getName()
                                + " needs it in %prod: " + why + ")");
                    }
                });
            }
        }
    }

    /**
     * What a Quarkus service's JVM holds outside its heap, MiB: metaspace, code cache, threads, GC and the C
     * allocator's slack, ~200 MiB idle and ~280 MiB for a fleet holding 10,000 agent streams (measured,
     * docs/capacity.md "Memory per fleet pod"). The heap's share of the limit must leave at least this.
     */
    static final int NON_HEAP_MIB = 200;
    private static final Pattern MAX_RAM_PERCENTAGE = Pattern.compile("-XX:MaxRAMPercentage=(\\d+(?:\\.\\d+)?)");

    /**
     * A JVM container whose heap may grow to {@code MaxRAMPercentage} of its memory limit (from
     * {@code JAVA_TOOL_OPTIONS}, set directly or through a ConfigMap) must leave {@link #NON_HEAP_MIB} beside it,
     * else a full heap is an OOM kill, not a garbage collection.
     */
    private static void checkJavaMemory(String cid, Container c, Map<String, ConfigMap> configMaps, List<String> findings) {
        String options = javaToolOptions(c, configMaps);
        var matcher = options == null ? null : MAX_RAM_PERCENTAGE.matcher(options);
        var limits = c.getResources() == null ? null : c.getResources().getLimits();
        if (matcher == null || !matcher.find() || limits == null || !limits.containsKey("memory")) {
            return;
        }
        double percent = Double.parseDouble(matcher.group(1));
        double limitMib = Quantity.getAmountInBytes(limits.get("memory")).doubleValue() / (1024 * 1024);
        double besideHeap = limitMib * (1 - percent / 100);
        if (besideHeap < NON_HEAP_MIB) {
            findings.add(String.format(java.util.Locale.ROOT, "%s: memory limit %.0f Mi with -XX:MaxRAMPercentage=%s leaves %.0f Mi"
                    + " beside the heap, less than the JVM's ~%d Mi outside it (docs/capacity.md): at least %.0f Mi",
                    cid, limitMib, matcher.group(1), besideHeap, NON_HEAP_MIB, Math.ceil(NON_HEAP_MIB / (1 - percent / 100))));
        }
    }

    /** The container's {@code JAVA_TOOL_OPTIONS}, set directly or through an unprefixed ConfigMap; null if neither. */
    private static String javaToolOptions(Container c, Map<String, ConfigMap> configMaps) {
        return envValue(c, configMaps, "JAVA_TOOL_OPTIONS");
    }

    /**
     * A variable's value in the container: a literal {@code env} entry first (it wins over {@code envFrom}), else an
     * unprefixed ConfigMap's key; null if neither sets it (a Secret's value is not known here).
     */
    private static String envValue(Container c, Map<String, ConfigMap> configMaps, String name) {
        String value = Objects.requireNonNullElse(c.getEnv(), List.<EnvVar>of()).stream()
                .filter(e -> e.getName().equals(name) && e.getValue() != null).map(EnvVar::getValue)
                .findFirst().orElse(null);
        for (EnvFromSource from : Objects.requireNonNullElse(c.getEnvFrom(), List.<EnvFromSource>of())) {
            boolean unprefixed = Objects.requireNonNullElse(from.getPrefix(), "").isEmpty();
            if (value == null && unprefixed && from.getConfigMapRef() != null) {
                ConfigMap cm = configMaps.get(from.getConfigMapRef().getName());
                if (cm != null && cm.getData() != null) {
                    value = cm.getData().get(name);
                }
            }
        }
        return value;
    }

    /**
     * Connections each service pod may hold beside its reactive pool: the {@code LISTEN} session of its commit
     * signals and Flyway's JDBC connection at start (docs/capacity.md, "Connections").
     */
    static final int CONNECTIONS_BESIDE_POOL = 2;
    /** Left of PostgreSQL's {@code max_connections} for superusers, the operator's instance manager and a psql. */
    static final int CONNECTIONS_RESERVED = 20;
    private static final Pattern POOL_EXPRESSION = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*):(\\d+)}");

    /**
     * Every service pod at its HPA maximum (without an HPA: its Deployment's replicas) with its whole reactive pool
     * open, plus {@link #CONNECTIONS_BESIDE_POOL} each, must fit the PostgreSQL Cluster's {@code max_connections} less
     * {@link #CONNECTIONS_RESERVED}: else the pods a burst scales out fail to connect, or fail Flyway at start, exactly
     * when they are needed. The pool is {@code QUARKUS_DATASOURCE_REACTIVE_MAX_SIZE} from the container's environment,
     * else the service's own {@code quarkus.datasource.reactive.max-size} (with the variable it names, e.g. billing's
     * {@code DB_POOL_SIZE}, resolved from the environment), else Quarkus' 20.
     */
    private void checkConnectionBudget(List<Doc> docs, List<Pods> pods, Map<String, ConfigMap> configMaps, List<String> findings) {
        var cluster = docs.stream().filter(d -> d.raw.path("kind").asText().equals("Cluster")
                && d.raw.path("apiVersion").asText().startsWith("postgresql.cnpg.io/")).findFirst();
        if (cluster.isEmpty()) {
            return;
        }
        int maxConnections = cluster.get().raw.path("spec").path("postgresql").path("parameters").path("max_connections").asInt(100);
        var parts = new ArrayList<String>();
        int total = 0;
        for (Pods p : pods) {
            ServiceConfig config = services.get(p.name);
            if (config == null || config.reactivePool() == null) {
                continue;
            }
            Container c = p.template.getSpec().getContainers().stream().filter(x -> x.getName().equals(p.name)).findFirst().orElse(null);
            if (c == null) {
                continue;
            }
            String pool = envValue(c, configMaps, "QUARKUS_DATASOURCE_REACTIVE_MAX_SIZE");
            if (pool == null) {
                var m = POOL_EXPRESSION.matcher(config.reactivePool());
                pool = m.matches() ? Objects.requireNonNullElse(envValue(c, configMaps, m.group(1)), m.group(2)) : config.reactivePool();
            }
            int replicas = maxReplicas(docs, p);
            int perPod = Integer.parseInt(pool.strip()) + CONNECTIONS_BESIDE_POOL;
            total += replicas * perPod;
            parts.add(p.name + " " + replicas + " × " + perPod);
        }
        if (total > maxConnections - CONNECTIONS_RESERVED) {
            findings.add(cluster.get().id + ": max_connections " + maxConnections + " leaves " + (maxConnections - CONNECTIONS_RESERVED)
                    + " for the services after " + CONNECTIONS_RESERVED + " reserved, but at their HPA maxima they may open " + total
                    + " (" + String.join(", ", parts) + "; pool + " + CONNECTIONS_BESIDE_POOL
                    + "): set smaller pools (QUARKUS_DATASOURCE_REACTIVE_MAX_SIZE) or raise max_connections (docs/capacity.md \"Connections\")");
        }
    }

    /** The most pods a workload may have: its HPA's maxReplicas, else its own replicas, else 1. */
    private static int maxReplicas(List<Doc> docs, Pods p) {
        for (Doc doc : docs) {
            if (doc.typed instanceof HorizontalPodAutoscaler hpa && hpa.getSpec() != null
                    && p.id.equals(hpa.getSpec().getScaleTargetRef().getKind() + "/" + hpa.getSpec().getScaleTargetRef().getName())) {
                return hpa.getSpec().getMaxReplicas();
            }
        }
        for (Doc doc : docs) {
            if (doc.id.equals(p.id) && doc.typed instanceof Deployment d && d.getSpec().getReplicas() != null) {
                return d.getSpec().getReplicas();
            }
        }
        return 1;
    }

    /**
     * A service whose JVM flags come from {@code JAVA_TOOL_OPTIONS} (heap share, GC) must start {@code java} itself:
     * its {@code quarkus.jib.jvm-entrypoint} pinned to {@code java ... -jar quarkus-run.jar}. Left to Quarkus, an
     * image on a ubi openjdk base (Jib's default, the registry path of docs/deploy.md) starts
     * {@code run-java.sh}, which puts {@code -XX:MaxRAMPercentage=80.0 -XX:+UseParallelGC} on the command line;
     * command-line flags win over {@code JAVA_TOOL_OPTIONS}, so the heap grows past what the memory limit was sized
     * for, and beside {@code -XX:+UseShenandoahGC} the JVM does not start ("Multiple garbage collectors selected").
     */
    private static void checkJavaEntrypoint(String cid, Container c, ServiceConfig config, Map<String, ConfigMap> configMaps,
                                            List<String> findings) {
        String options = javaToolOptions(c, configMaps);
        if (config == null || options == null || !options.contains("-XX:")) {
            return;
        }
        List<String> entrypoint = config.jvmEntrypoint();
        boolean javaItself = !entrypoint.isEmpty() && (entrypoint.get(0).equals("java") || entrypoint.get(0).endsWith("/java"))
                && entrypoint.contains("-jar");
        if (!javaItself) {
            findings.add(cid + ": JAVA_TOOL_OPTIONS sets the JVM's flags (" + options + "), but " + c.getName()
                    + "'s quarkus.jib.jvm-entrypoint is " + (entrypoint.isEmpty() ? "not pinned" : String.join(",", entrypoint))
                    + ": on a ubi openjdk base run-java.sh's -XX:MaxRAMPercentage=80.0 -XX:+UseParallelGC would override them;"
                    + " pin it to java,...,-jar,quarkus-run.jar (docs/deploy.md \"Images\")");
        }
    }

    /**
     * Variables a Secret provides as a properties file, by {@code secret/key}: where one environment string
     * would be too long (Linux refuses one over 128 KiB), the Secret is mounted as a file and named in
     * {@code QUARKUS_CONFIG_LOCATIONS}. The file's content is not in the manifests, so what it holds is
     * written here, as docs/deploy.md documents it.
     */
    static final Map<String, Set<String>> SECRET_CONFIG_FILES = Map.of(
            "proxyvault-fleet-agent-tokens/agent-tokens.properties", Set.of("FLEET_AGENT_TOKENS"));

    /**
     * The variables the files named in the container's {@code QUARKUS_CONFIG_LOCATIONS} provide. Each
     * {@code file:} location must be a file a volume of the pod mounts, else a finding: a path that misses
     * leaves the file unread, and the service stops at start for want of what it held.
     */
    private static Set<String> configFileVariables(String cid, Container c, List<Volume> volumes, List<String> findings) {
        var provided = new HashSet<String>();
        String locations = Objects.requireNonNullElse(c.getEnv(), List.<EnvVar>of()).stream()
                .filter(e -> e.getName().equals("QUARKUS_CONFIG_LOCATIONS") && e.getValue() != null)
                .map(EnvVar::getValue).findFirst().orElse(null);
        if (locations == null) {
            return provided;
        }
        for (String location : locations.split(",")) {
            String path = location.strip();
            if (!path.startsWith("file:")) {
                continue;
            }
            path = path.substring("file:".length());
            String file = path;
            var mount = Objects.requireNonNullElse(c.getVolumeMounts(), List.<VolumeMount>of()).stream()
                    .filter(m -> file.startsWith(m.getMountPath().endsWith("/") ? m.getMountPath() : m.getMountPath() + "/"))
                    .findFirst();
            var volume = mount.flatMap(m -> Objects.requireNonNullElse(volumes, List.<Volume>of()).stream()
                    .filter(v -> v.getName().equals(m.getName())).findFirst());
            if (volume.isEmpty()) {
                findings.add(cid + ": QUARKUS_CONFIG_LOCATIONS names " + file + ", which no volume of the pod mounts");
                continue;
            }
            String relative = file.substring(mount.get().getMountPath().replaceAll("/$", "").length() + 1);
            var secret = volume.get().getSecret();
            if (secret == null) {
                continue;
            }
            String key = relative;
            if (secret.getItems() != null && !secret.getItems().isEmpty()) {
                key = secret.getItems().stream().filter(i -> i.getPath().equals(relative)).map(KeyToPath::getKey)
                        .findFirst().orElse(null);
                if (key == null) {
                    findings.add(cid + ": QUARKUS_CONFIG_LOCATIONS names " + file + ", which volume "
                            + volume.get().getName() + " does not project (its items have no path " + relative + ")");
                    continue;
                }
            }
            provided.addAll(SECRET_CONFIG_FILES.getOrDefault(secret.getSecretName() + "/" + key, Set.of()));
        }
        return provided;
    }

    private static void probe(String cid, String which, Probe probe, Container c, List<String> findings) {
        if (probe == null) {
            findings.add(cid + ": no " + which);
            return;
        }
        IntOrString port = probe.getHttpGet() != null ? probe.getHttpGet().getPort()
                : probe.getTcpSocket() != null ? probe.getTcpSocket().getPort() : null;
        if (port != null && port.getStrVal() != null && portNumber(c, port.getStrVal()) == null) {
            findings.add(cid + ": " + which + " uses port " + port.getStrVal() + ", which the container does not declare");
        }
    }

    private static Integer portNumber(Container c, String name) {
        return Objects.requireNonNullElse(c.getPorts(), List.<ContainerPort>of()).stream()
                .filter(p -> name.equals(p.getName())).map(ContainerPort::getContainerPort).findFirst().orElse(null);
    }

    /**
     * Issue 10, item 3: only the gateway is reachable from outside (through the Ingress), plus the
     * agents' gRPC endpoint. Any other Service the internet could reach is a finding.
     */
    static final Map<String, String> EXPOSED = Map.of("proxy-fleet-grpc", "LoadBalancer");
    static final String INGRESS_BACKEND = "api-gateway";

    private static void checkService(Service s, List<Pods> pods, List<String> findings) {
        String id = "Service/" + s.getMetadata().getName();
        String type = Objects.requireNonNullElse(s.getSpec().getType(), "ClusterIP");
        if (!type.equals("ClusterIP") && !type.equals(EXPOSED.get(s.getMetadata().getName()))) {
            findings.add(id + ": type " + type + " exposes it outside the cluster; only " + EXPOSED
                    + " and the gateway's Ingress may be reachable from outside");
        }
        Map<String, String> selector = s.getSpec().getSelector();
        if (selector == null || selector.isEmpty()) {
            findings.add(id + ": no selector: it selects no workload");
            return;
        }
        var selected = pods.stream().filter(p -> podLabels(p).entrySet().containsAll(selector.entrySet())).toList();
        if (selected.isEmpty()) {
            findings.add(id + ": selector " + selector + " selects no workload");
            return;
        }
        for (ServicePort port : s.getSpec().getPorts()) {
            IntOrString target = port.getTargetPort();
            if (target != null && target.getStrVal() != null) {
                boolean found = selected.stream().flatMap(p -> p.template.getSpec().getContainers().stream())
                        .anyMatch(c -> portNumber(c, target.getStrVal()) != null);
                if (!found) {
                    findings.add(id + ": targetPort " + target.getStrVal() + " is no container port of the pods it selects");
                }
            }
        }
    }

    /**
     * A NetworkPolicy whose pod selector matches nothing is silently useless (or, as a peer, silently
     * closes a path). Selectors on operator-managed pods (Strimzi, CloudNativePG labels) are not
     * checked: those pods are not in the manifests. Peers with a namespaceSelector are other namespaces.
     */
    private static void checkNetworkPolicy(String id, NetworkPolicy policy, List<Pods> pods, List<String> findings) {
        var selectors = new ArrayList<LabelSelector>();
        selectors.add(policy.getSpec().getPodSelector());
        Objects.requireNonNullElse(policy.getSpec().getIngress(), List.<io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule>of())
                .forEach(r -> Objects.requireNonNullElse(r.getFrom(), List.<NetworkPolicyPeer>of()).forEach(p -> peer(p, selectors)));
        Objects.requireNonNullElse(policy.getSpec().getEgress(), List.<io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule>of())
                .forEach(r -> Objects.requireNonNullElse(r.getTo(), List.<NetworkPolicyPeer>of()).forEach(p -> peer(p, selectors)));
        for (LabelSelector s : selectors) {
            boolean everything = s.getMatchLabels() == null && s.getMatchExpressions() == null
                    || (s.getMatchLabels() == null || s.getMatchLabels().isEmpty())
                    && (s.getMatchExpressions() == null || s.getMatchExpressions().isEmpty());
            boolean operatorPods = Stream.concat(
                    Objects.requireNonNullElse(s.getMatchLabels(), Map.<String, String>of()).keySet().stream(),
                    Objects.requireNonNullElse(s.getMatchExpressions(), List.<io.fabric8.kubernetes.api.model.LabelSelectorRequirement>of())
                            .stream().map(io.fabric8.kubernetes.api.model.LabelSelectorRequirement::getKey))
                    .anyMatch(k -> k.startsWith("cnpg.io/") || k.startsWith("strimzi.io/"));
            if (everything || operatorPods) {
                continue;
            }
            if (pods.stream().noneMatch(p -> selects(s, podLabels(p)))) {
                findings.add(id + ": pod selector " + describe(s) + " matches no workload's pods");
            } else if (s.getMatchExpressions() != null) {
                // an In list naming a workload that does not exist is a typo even if the others match
                for (var r : s.getMatchExpressions()) {
                    if ("In".equals(r.getOperator())) {
                        for (String v : r.getValues()) {
                            if (pods.stream().noneMatch(p -> v.equals(podLabels(p).get(r.getKey())))) {
                                findings.add(id + ": pod selector value " + r.getKey() + "=" + v + " matches no workload's pods");
                            }
                        }
                    }
                }
            }
        }
    }

    private static void peer(NetworkPolicyPeer peer, List<LabelSelector> selectors) {
        if (peer.getPodSelector() != null && peer.getNamespaceSelector() == null) {
            selectors.add(peer.getPodSelector());
        }
    }

    private void checkIngress(String id, Ingress ingress, List<Service> services, Set<String> names, List<String> findings) {
        var spec = ingress.getSpec();
        Objects.requireNonNullElse(spec.getTls(), List.<io.fabric8.kubernetes.api.model.networking.v1.IngressTLS>of())
                .forEach(tls -> requireObject(id, "Secret", tls.getSecretName(), names, findings));
        var backends = new ArrayList<IngressBackend>();
        if (spec.getDefaultBackend() != null) {
            backends.add(spec.getDefaultBackend());
        }
        Objects.requireNonNullElse(spec.getRules(), List.<io.fabric8.kubernetes.api.model.networking.v1.IngressRule>of())
                .forEach(r -> r.getHttp().getPaths().forEach(path -> backends.add(path.getBackend())));
        for (IngressBackend b : backends) {
            if (b.getService() == null) {
                continue;
            }
            if (!b.getService().getName().equals(INGRESS_BACKEND)) {
                findings.add(id + ": routes to Service/" + b.getService().getName() + "; only " + INGRESS_BACKEND
                        + " is public (DESIGN.md, \"Trust boundaries\")");
            }
            var svc = services.stream().filter(s -> s.getMetadata().getName().equals(b.getService().getName())).findFirst();
            if (svc.isEmpty()) {
                findings.add(id + ": backend Service/" + b.getService().getName() + " is not in the manifests");
                continue;
            }
            var port = b.getService().getPort();
            boolean ok = svc.get().getSpec().getPorts().stream().anyMatch(p ->
                    port.getName() != null ? port.getName().equals(p.getName()) : Objects.equals(port.getNumber(), p.getPort()));
            if (!ok) {
                findings.add(id + ": backend port " + (port.getName() != null ? port.getName() : port.getNumber())
                        + " is not a port of Service/" + b.getService().getName());
            }
        }
    }

    /** Secrets named inside operator resources, and what a ServiceMonitor scrapes. */
    private void checkCustomResourceRefs(Doc doc, GenericKubernetesResource g, List<Service> services, Set<String> names,
                                         List<String> findings) {
        JsonNode spec = doc.raw.path("spec");
        switch (g.getKind()) {
            case "Cluster" -> {
                spec.path("managed").path("roles").forEach(role -> {
                    if (role.has("passwordSecret")) {
                        requireObject(doc.id, "Secret", role.path("passwordSecret").path("name").asText(), names, findings);
                    }
                });
                for (String path : List.of("/superuserSecret/name", "/bootstrap/initdb/secret/name")) {
                    JsonNode name = spec.at(path);
                    if (name.isTextual()) {
                        requireObject(doc.id, "Secret", name.asText(), names, findings);
                    }
                }
            }
            case "Database", "ScheduledBackup" -> {
                String cluster = spec.path("cluster").path("name").asText();
                if (!names.contains("Cluster/" + cluster)) {
                    findings.add(doc.id + ": spec.cluster.name " + cluster + " is not a Cluster in the manifests");
                }
            }
            case "ServiceMonitor" -> {
                Map<String, String> selector = JSON.convertValue(spec.path("selector").path("matchLabels"),
                        JSON.getTypeFactory().constructMapType(Map.class, String.class, String.class));
                var selected = services.stream().filter(s -> s.getMetadata().getLabels() != null
                        && selector != null && !selector.isEmpty()
                        && s.getMetadata().getLabels().entrySet().containsAll(selector.entrySet())).toList();
                if (selected.isEmpty()) {
                    findings.add(doc.id + ": selector " + selector + " matches no Service");
                }
                spec.path("endpoints").forEach(endpoint -> {
                    String port = endpoint.path("port").asText(null);
                    if (port != null && selected.stream().noneMatch(s -> s.getSpec().getPorts().stream()
                            .anyMatch(p -> port.equals(p.getName())))) {
                        findings.add(doc.id + ": endpoint port " + port + " is not a named port of the Services it selects");
                    }
                });
            }
            default -> {
            }
        }
    }

    private void requireObject(String who, String kind, String name, Set<String> names, List<String> findings) {
        String id = kind + "/" + name;
        if (!names.contains(id) && !external.contains(id)) {
            findings.add(who + ": references " + id + ", which is neither in the manifests nor documented as external (docs/deploy.md)");
        }
    }

    private static Map<String, String> podLabels(Pods p) {
        return p.template == null || p.template.getMetadata() == null || p.template.getMetadata().getLabels() == null
                ? Map.of() : p.template.getMetadata().getLabels();
    }

    /** matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist) against a label set. */
    static boolean selects(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        var ml = Objects.requireNonNullElse(selector.getMatchLabels(), Map.<String, String>of());
        var me = Objects.requireNonNullElse(selector.getMatchExpressions(), List.<io.fabric8.kubernetes.api.model.LabelSelectorRequirement>of());
        if (ml.isEmpty() && me.isEmpty()) {
            return false; // selects everything: never what a workload, PDB or HPA means
        }
        if (!labels.entrySet().containsAll(ml.entrySet())) {
            return false;
        }
        return me.stream().allMatch(r -> switch (r.getOperator()) {
            case "In" -> labels.containsKey(r.getKey()) && r.getValues().contains(labels.get(r.getKey()));
            case "NotIn" -> !labels.containsKey(r.getKey()) || !r.getValues().contains(labels.get(r.getKey()));
            case "Exists" -> labels.containsKey(r.getKey());
            case "DoesNotExist" -> !labels.containsKey(r.getKey());
            default -> false;
        });
    }

    private static String describe(LabelSelector s) {
        if (s == null) {
            return "(none)";
        }
        return Stream.of(s.getMatchLabels() == null ? "" : s.getMatchLabels().toString(),
                s.getMatchExpressions() == null || s.getMatchExpressions().isEmpty() ? "" : s.getMatchExpressions().toString())
                .filter(x -> !x.isEmpty()).reduce((a, b) -> a + " " + b).orElse("{}");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return Objects.requireNonNullElse(t.getMessage(), t.toString()).lines().findFirst().orElse("");
    }
}
