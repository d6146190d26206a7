package com.proxyvault.systemtests;

import io.restassured.response.Response;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAPI document the gateway serves on its public port ({@code GET /openapi.json}, no key
 * needed) describes exactly the operations of the seed's {@code curl} examples under /v1/reseller:
 * nothing missing, nothing the framework added (such as the gateway's catch-all forwarding routes).
 */
class OpenApiIT {

    @BeforeAll
    static void start() {
        StackApi.useGateway();
    }

    @Test
    void shouldServeAnOpenApi3DocumentWithExactlyTheSeedsResellerOperations() {
        Response served = given().get("/openapi.json");
        assertEquals(200, served.statusCode(), "GET /openapi.json: " + StackApi.abbreviate(served.asString()));
        assertTrue(served.contentType().startsWith("application/json"), "Content-Type " + served.contentType());

        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIV3Parser().readContents(served.asString(), null, options);
        OpenAPI api = result.getOpenAPI();
        assertNotNull(api, "the served document parses: " + result.getMessages());
        assertTrue(api.getOpenapi().startsWith("3."), "OpenAPI 3, not " + api.getOpenapi());
        assertEquals(SeedContract.publicOperations(), OpenApiDocumentTest.operations(api, "/v1/reseller").keySet());
    }
}
