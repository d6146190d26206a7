package com.proxyvault.platform.auth;

import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.jwt.auth.principal.JWTParser;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * smallrye-jwt's bearer check really goes through {@link VerifiedTokenCache} in a Quarkus app that has the
 * platform (the alternative wins over smallrye-jwt's own parser), and a remembered token still authenticates.
 * The refusals (wrong audience, too long a life, garbage) are HttpErrorsTest's, through the same parser.
 */
@QuarkusTest
class VerifiedTokenCacheWiringTest {

    @Test
    void shouldBeTheParserTheBearerCheckUses() {
        assertEquals(VerifiedTokenCache.class, Arc.container().instance(JWTParser.class).getBean().getBeanClass());
    }

    @Test
    void shouldAuthenticateTheSameTokenAgainFromMemory() {
        String token = InternalTokens.to("platform-test").reseller(7);
        for (int i = 0; i < 3; i++) {
            given().auth().oauth2(token).contentType(ContentType.JSON).body("{}").post("/test/echo")
                    .then().statusCode(200);
        }
    }
}
