package com.proxyvault.platform.http;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllowedMethodsTest {

    @Test
    void shouldMatchPathTemplatesLikeQuarkusRest() {
        assertTrue(AllowedMethods.toRegex("/v1/reseller/orders/{orderId}/pay").matcher("/v1/reseller/orders/7/pay").matches());
        assertFalse(AllowedMethods.toRegex("/v1/reseller/orders/{orderId}").matcher("/v1/reseller/orders/7/pay").matches());
        assertTrue(AllowedMethods.toRegex("/v1/reseller/orders/").matcher("/v1/reseller/orders").matches());
        assertTrue(AllowedMethods.toRegex("/v1/{path: .+}").matcher("/v1/a/b").matches());
        assertTrue(AllowedMethods.toRegex("/x/{n: [0-9]{1,3}}").matcher("/x/123").matches());
    }

    /** What the Allow header (and the gateway's OpenApiRoutesTest) reads from a resource class. */
    @Test
    void shouldReadEveryResourceMethodOfAClassWithItsJoinedTemplate() {
        assertEquals(List.of(new ResourceRoutes.Operation("POST", "/test/echo")), ResourceRoutes.of(EchoResource.class));
        assertEquals(List.of(), ResourceRoutes.of(String.class), "no @Path, no operations");
        assertEquals("/a/{id}/b", ResourceRoutes.join("/a/", "/{id}//b/"));
        assertEquals("/a", ResourceRoutes.join("a", ""));
        assertEquals("/", ResourceRoutes.join("/", ""));
    }
}
