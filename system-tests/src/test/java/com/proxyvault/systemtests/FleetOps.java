package com.proxyvault.systemtests;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.http.ContentType;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static com.proxyvault.systemtests.StackApi.operator;
import static com.proxyvault.systemtests.StackApi.read;
import static com.proxyvault.systemtests.StackApi.reseller;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the fleet's system tests share: placing a proxy on a chosen agent (by draining the other agent's modems
 * in a city through the operator API), finding the agent that serves a proxy, and breaking and repairing the
 * stack's components the way an operator would ({@code bin/stack}, {@code kill -9} of a pid file's process).
 */
final class FleetOps {

    static final String AGENT_1 = "agent-local-1";
    static final String AGENT_2 = "agent-local-2";
    /** The second fleet replica's own HTTP port (bin/stack with PV_FLEET_REPLICAS=2). */
    static final String FLEET_2 = "http://127.0.0.1:8085";

    // HTTP/1.1 as our services speak it: the JDK client's default h2c upgrade once read a /q/metrics body as
    // HTTP/2 frames ("Frame type(95) length(7562596) exceeds MAX_FRAME_SIZE", CI 2026-12-01).
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private FleetOps() {
    }

    /** True when the stack runs a second fleet replica with its own agent (PV_FLEET_REPLICAS=2, as bin/test does). */
    static boolean twoReplicas() {
        return status(FLEET_2 + "/q/health/ready") == 200;
    }

    /** The bin/stack component running an agent: agent-local-1 is {@code device-agent}, agent-local-2 {@code device-agent-2}. */
    static String componentOf(String agentId) {
        return switch (agentId) {
            case AGENT_1 -> "device-agent";
            case AGENT_2 -> "device-agent-2";
            default -> throw new IllegalArgumentException("no bin/stack component runs agent " + agentId);
        };
    }

    /** Buys a one-hour proxy in {@code city} and returns it once active, as GET /proxies lists it. */
    static JsonNode buyIn(StackApi.Reseller buyer, String city) {
        long orderId = reseller(buyer.key()).contentType(ContentType.JSON)
                .body(Map.of("product_id", 1, "pricing_id", 1, "location_id", city)).post("/v1/reseller/orders")
                .then().statusCode(201).extract().jsonPath().getLong("id");
        reseller(buyer.key()).post("/v1/reseller/orders/" + orderId + "/pay").then().statusCode(200);
        StackApi.awaitActive(buyer, orderId);
        for (JsonNode proxy : read(reseller(buyer.key()).get("/v1/reseller/proxies").then().statusCode(200)
                .extract().asString()).get("proxies")) {
            if (proxy.path("order_id").asLong() == orderId) {
                return proxy;
            }
        }
        throw new AssertionError("order " + orderId + " is active but its proxy is not listed");
    }

    /**
     * Buys a proxy in {@code city} on {@code agent}: the other agent's modems there are drained for the
     * purchase (placement skips draining modems) and undrained again.
     */
    static JsonNode buyOn(String agent, StackApi.Reseller buyer, String city) {
        List<String> drained = drain(AGENT_1.equals(agent) ? AGENT_2 : AGENT_1, city);
        try {
            return buyIn(buyer, city);
        } finally {
            undrain(drained);
        }
    }

    /** The id of the agent whose modem serves the proxy (operator API). */
    static String agentServing(long proxyId) {
        return modemServing(proxyId).get("agent_id").asText();
    }

    /** The modem serving the proxy, as {@code GET /v1/admin/modems} lists it (every page). */
    static JsonNode modemServing(long proxyId) {
        for (JsonNode modem : everyPage("/v1/admin/modems", "modems")) {
            for (JsonNode id : modem.get("proxy_ids")) {
                if (id.asLong() == proxyId) {
                    return modem;
                }
            }
        }
        throw new AssertionError("no modem serves proxy " + proxyId);
    }

    /** The agent as {@code GET /v1/admin/agents} lists it (every page). */
    static JsonNode agent(String agentId) {
        for (JsonNode agent : everyPage("/v1/admin/agents", "agents")) {
            if (agent.get("id").asText().equals(agentId)) {
                return agent;
            }
        }
        throw new AssertionError("the fleet lists no agent " + agentId);
    }

    /**
     * Every item of an operator list, page by page ({@code limit=100}, up to the answer's {@code total}; docs/api.md
     * "Lists"), so a test sees the whole fleet whatever else the stack holds. {@code path} may carry filters.
     */
    static List<JsonNode> everyPage(String path, String field) {
        List<JsonNode> items = new ArrayList<>();
        String separator = path.contains("?") ? "&" : "?";
        long total = 1;
        for (long offset = 0; offset < total; offset += 100) {
            JsonNode page = read(operator().get(path + separator + "limit=100&offset=" + offset).then().statusCode(200)
                    .extract().asString());
            page.get(field).forEach(items::add);
            total = page.get("total").asLong();
        }
        return items;
    }

    /** Drains the agent's modems in the city that are not draining yet; returns their paths for {@link #undrain}. */
    static List<String> drain(String agent, String city) {
        List<String> drained = new ArrayList<>();
        for (JsonNode modem : everyPage("/v1/admin/modems?agent_id=" + agent + "&location_id=" + city, "modems")) {
            if (!modem.get("draining").asBoolean()) {
                String path = "/v1/admin/agents/" + agent + "/modems/" + modem.get("modem_id").asText();
                operator().post(path + "/drain").then().statusCode(200);
                drained.add(path);
            }
        }
        return drained;
    }

    static void undrain(List<String> drained) {
        drained.forEach(path -> operator().post(path + "/undrain").then().statusCode(200));
    }

    /** Runs {@code bin/stack args…} from the repository with the jars already built, and waits for it. */
    static void stack(String... args) {
        List<String> command = new ArrayList<>(List.of(repo().resolve("bin/stack").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(repo().toFile()).inheritIO();
        builder.environment().put("PV_SKIP_BUILD", "1");
        try {
            Process process = builder.start();
            assertTrue(process.waitFor(150, TimeUnit.SECONDS) && process.exitValue() == 0, "bin/stack " + String.join(" ", args));
        } catch (Exception e) {
            throw new IllegalStateException("bin/stack " + String.join(" ", args), e);
        }
    }

    /**
     * {@code kill -9} of a bin/stack component (its pid file under .stack/pids): no shutdown hook runs, no
     * stream is closed politely, as when a host loses power. Returns once the process is gone.
     */
    static void kill9(String component) {
        long pid = pidOf(component);
        try {
            ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError(component + " is not running"));
            process.destroyForcibly(); // SIGKILL on Linux
            process.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("kill -9 " + component, e);
        }
    }

    /** The pid of bin/stack's {@code component} (its pid file), checked to be that component's process. */
    static long pidOf(String component) {
        Path pidFile = repo().resolve(".stack/pids/" + component + ".pid");
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() ->
                    new AssertionError(component + " (pid " + pid + " in " + pidFile + ") is not running"));
            assertTrue(process.info().commandLine().orElse("").contains("-Dproxyvault.component=" + component + " "),
                    "pid " + pid + " is " + component + ": " + process.info().commandLine().orElse("?"));
            return pid;
        } catch (IOException e) {
            throw new IllegalStateException("reading " + pidFile, e);
        }
    }

    /** {@code kill -<signal> <pid>} (STOP freezes a process, CONT lets it run again). */
    static void signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("kill -" + signal + " " + pid, e);
        }
    }

    /** The checkout the stack runs from: the system tests run in system-tests/. */
    private static Path repo() {
        return Path.of("..").toAbsolutePath().normalize();
    }

    /** HTTP status of a GET (0 when nothing answers). */
    static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return 0;
        }
    }
}
