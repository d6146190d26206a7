package com.proxyvault.deploy.k8s;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 10, item 6: every overlay renders and passes; and the checker is shown to fail on broken copies
 * of the dev overlay (src/test/resources/broken/*: each a kustomization that breaks one thing).
 */
class K8sValidatorTest {

    private static Repo repo;
    private static K8sValidator validator;

    @BeforeAll
    static void setUp() {
        repo = Repo.locate();
        validator = new K8sValidator(repo.services(), repo.external());
    }

    static List<Path> overlays() {
        return Repo.locate().overlays();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void shouldRenderAndPassEveryOverlay(Path overlay) {
        List<String> findings = validator.validate(Kustomize.render(overlay));
        assertTrue(findings.isEmpty(), overlay + ":\n  " + String.join("\n  ", findings));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            typo-in-deployment      | Deployment/billing-service: unknown field spec.template.spec.containers[0].readinessProbe.periodSecond
            typo-in-kafka-topic     | KafkaTopic/order-paid: /spec: property 'partitons' is not defined in the schema
            missing-probe           | Deployment/order-service container order-service: no readinessProbe
            unknown-topic           | Deployment/order-service: uses Kafka topic proxy.expired
            missing-prod-env        | Deployment/webhook-service container webhook-service: environment variable DB_PASSWORD is not set
            latest-image            | image proxyvault/billing-service:latest has no fixed tag
            service-selects-nothing | Service/order-service: selector {app.kubernetes.io/name=orders} selects no workload
            selector-mismatch       | Deployment/api-gateway: selector {app.kubernetes.io/name=api-gateway} does not match its pod template's labels
            undocumented-secret     | references Secret/proxyvault-undocumented, which is neither in the manifests nor documented as external
            unknown-kind            | Deploymnet/typo: unknown kind Deploymnet
            wrong-type              | does not parse as its kind
            topic-more-replicas-than-brokers | KafkaTopic/charge-posted: 3 replicas but the node pools have 1 brokers
            secret-in-git           | Secret/proxyvault-db-billing: a Secret with values in the manifests
            billing-exposed         | Service/billing-service: type LoadBalancer exposes it outside the cluster
            config-file-not-mounted | Deployment/proxy-fleet-service container proxy-fleet-service: QUARKUS_CONFIG_LOCATIONS names /etc/proxyvault/fleet-agent-token/agent-tokens.properties, which no volume of the pod mounts
            heap-leaves-no-room     | Deployment/order-service container order-service: memory limit 384 Mi with -XX:MaxRAMPercentage=70 leaves 115 Mi beside the heap
            network-policy-typo     | NetworkPolicy/backends-from-gateway: pod selector value app.kubernetes.io/name=webhooks-service matches no workload's pods
            pools-exceed-max-connections | Cluster/proxyvault-pg: max_connections 520 leaves 500 for the services after 20 reserved, but at their HPA maxima they may open 696 (api-gateway 40 × 7
            """)
    void shouldFailOnABrokenOverlay(String broken, String expected) {
        Path dir = repo.root().resolve("deploy/k8s/validate/src/test/resources/broken").resolve(broken);
        List<String> findings = validator.validate(Kustomize.render(dir));
        assertTrue(findings.stream().anyMatch(f -> f.contains(expected.strip())),
                "expected a finding containing \"" + expected.strip() + "\", got:\n  " + String.join("\n  ", findings));
    }

    @Test
    void shouldFailWhenAServiceStartsUsingATopicNobodyDeclared(@TempDir Path tmp) throws IOException {
        // a new consumer in webhook-service's configuration, for an event type with no KafkaTopic yet
        Path props = tmp.resolve("application.properties");
        Files.writeString(props, Files.readString(repo.root().resolve("webhook-service/src/main/resources/application.properties"))
                + "\nmp.messaging.incoming.teleported.connector=smallrye-kafka"
                + "\nmp.messaging.incoming.teleported.topic=${proxyvault.topic-prefix}proxy.teleported\n");
        var services = new LinkedHashMap<>(repo.services());
        services.put("webhook-service", ServiceConfig.read(repo.root(), "webhook-service", props));
        var findings = new K8sValidator(services, repo.external())
                .validate(Kustomize.render(repo.root().resolve("deploy/k8s/overlays/dev")));
        assertTrue(findings.stream().anyMatch(f -> f.contains("uses Kafka topic proxy.teleported (mp.messaging.incoming.teleported)")),
                String.join("\n", findings));
    }

    @Test
    void shouldFailWhenAServiceNeedsANewProductionSecret(@TempDir Path tmp) throws IOException {
        Path props = tmp.resolve("application.properties");
        Files.writeString(props, Files.readString(repo.root().resolve("billing-service/src/main/resources/application.properties"))
                + "\nproxyvault.required.ledger-export-key=${LEDGER_EXPORT_KEY}\n%dev,test.proxyvault.required.ledger-export-key=x\n");
        var services = new LinkedHashMap<>(repo.services());
        services.put("billing-service", ServiceConfig.read(repo.root(), "billing-service", props));
        var findings = new K8sValidator(services, repo.external())
                .validate(Kustomize.render(repo.root().resolve("deploy/k8s/overlays/prod")));
        assertTrue(findings.stream().anyMatch(f -> f.contains("LEDGER_EXPORT_KEY is not set")), String.join("\n", findings));
    }

    @Test
    void shouldFailWhenAServiceLetsTheBaseImageChooseHowTheJvmStarts(@TempDir Path tmp) throws IOException {
        // without the pinned entrypoint a ubi base starts run-java.sh, whose flags beat the ConfigMap's Shenandoah
        Path props = tmp.resolve("application.properties");
        String original = Files.readString(repo.root().resolve("proxy-fleet-service/src/main/resources/application.properties"));
        Files.writeString(props, original.replaceAll("(?m)^quarkus\\.jib\\.jvm-entrypoint=.*$", ""));
        var services = new LinkedHashMap<>(repo.services());
        services.put("proxy-fleet-service", ServiceConfig.read(repo.root(), "proxy-fleet-service", props));
        var findings = new K8sValidator(services, repo.external())
                .validate(Kustomize.render(repo.root().resolve("deploy/k8s/overlays/prod")));
        assertTrue(findings.stream().anyMatch(f -> f.contains("container proxy-fleet-service: JAVA_TOOL_OPTIONS sets the JVM's flags")
                && f.contains("quarkus.jib.jvm-entrypoint is not pinned")), String.join("\n", findings));
    }

    @Test
    void shouldReadWhatEachServiceNeedsFromItsOwnConfiguration() {
        var fleet = repo.services().get("proxy-fleet-service");
        assertTrue(fleet.requiredEnv().keySet().containsAll(List.of("DB_USER", "DB_PASSWORD", "FLEET_AGENT_TOKENS",
                "INTERNAL_JWT_PUBLIC_KEY_LOCATION", "DB_REACTIVE_URL", "KAFKA_BOOTSTRAP_SERVERS")), fleet.toString());
        assertTrue(fleet.topics().keySet().containsAll(List.of("order.paid", "proxy.provisioned", "proxy.provision_failed",
                "proxy.expired", "proxy.provisioning")), fleet.toString());
        assertFalse(fleet.topics().containsKey("outbox.unrouted"), fleet.toString());
    }
}
