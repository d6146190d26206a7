package com.proxyvault.gateway.operations;

import com.proxyvault.gateway.GatewayTest;
import com.proxyvault.gateway.UpstreamStub;
import com.proxyvault.gateway.edge.EdgeServer;
import io.quarkus.test.common.WithTestResource;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every operator change is logged with who made it; reads are not (OperatorAudit, docs/operations.md "Audit"). */
@QuarkusTest
@WithTestResource(UpstreamStub.class)
class OperatorAuditTest {

    @Inject
    EdgeServer edge;

    private final com.proxyvault.gateway.CapturedLog log = new com.proxyvault.gateway.CapturedLog(OperatorAudit.class);
    private final List<String> lines = log.lines();

    @BeforeEach
    void listen() {
        RestAssured.port = edge.port();
        log.start();
    }

    @AfterEach
    void stop() {
        log.stop();
    }

    @Test
    void shouldLogWhoChangedWhatAndNotTheReads() throws Exception {
        String token = GatewayTest.operatorToken();
        given().header("Authorization", "Bearer " + token).contentType("application/json")
                .body(java.util.Map.of("name", "audit-" + System.nanoTime())).post("/v1/admin/resellers")
                .then().statusCode(201);
        given().header("Authorization", "Bearer " + token).get("/v1/admin/resellers").then().statusCode(200);
        await().untilAsserted(() -> assertTrue(lines.stream().anyMatch(
                l -> l.equals("Operator test-operator: POST /v1/admin/resellers -> 201")), lines.toString()));
        assertTrue(lines.stream().noneMatch(l -> l.contains("GET")), lines.toString());
    }
}
