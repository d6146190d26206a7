package com.proxyvault.systemtests;

import io.restassured.response.Response;
import io.swagger.v3.oas.models.OpenAPI;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAPI document the gateway serves on its public port ({@code GET /openapi.json}, no key
 * needed) is openapi.yaml as written: under /v1/reseller exactly the operations of the seed's {@code curl}
 * examples and the documented extensions ({@link SeedContract#EXTENSIONS}), the operator endpoints under
 * /v1/admin, nothing missing, nothing the framework added (such as the gateway's catch-all forwarding routes).
 */
class OpenApiIT {

    @BeforeAll
    static void start() {
        StackApi.useGateway();
    }

    @Test
    void shouldServeTheWrittenOpenApi3DocumentWithExactlyTheSeedsResellerOperations() throws Exception {
        Response served = given().get("/openapi.json");
        assertEquals(200, served.statusCode(), "GET /openapi.json: " + StackApi.abbreviate(served.asString()));
        assertTrue(served.contentType().startsWith("application/json"), "Content-Type " + served.contentType());

        OpenAPI api = OpenApiDocumentTest.parse(served.asString(), "the served document");
        assertTrue(api.getOpenapi().startsWith("3."), "OpenAPI 3, not " + api.getOpenapi());
        assertEquals(SeedContract.publicOperations(), OpenApiDocumentTest.operations(api, "/v1/reseller").keySet());
        // Served as written: the operator endpoints too (OpenApiDocumentTest: every operation the public port
        // reaches), and nothing a scan of the gateway's resources would add.
        OpenAPI written = OpenApiDocumentTest.parse(Files.readString(OpenApiDocumentTest.DOCUMENT), "openapi.yaml");
        assertEquals(OpenApiDocumentTest.operations(written, "/").keySet(), OpenApiDocumentTest.operations(api, "/").keySet());
    }
}
