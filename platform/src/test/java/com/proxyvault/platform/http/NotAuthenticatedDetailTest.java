package com.proxyvault.platform.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 401 detail on JWT endpoints ({@link ApiExceptionMappers#notAuthenticatedDetail}; new-user review, stop 30, L3). */
class NotAuthenticatedDetailTest {

    @Test
    void shouldNameTheOperatorTokenWhenAResellerKeyReachesTheOperatorApi() {
        String detail = ApiExceptionMappers.notAuthenticatedDetail("/v1/admin/agents", "Bearer rv_abc");
        assertTrue(detail.startsWith("Not authenticated: a reseller API key (rv_...)"), detail);
        assertTrue(detail.contains("operator JWT"), detail);
        assertEquals(detail, ApiExceptionMappers.notAuthenticatedDetail("/v1/admin/resellers/2", "bearer  rv_abc "));
    }

    @Test
    void shouldSayOnlyNotAuthenticatedEverywhereElse() {
        // a service's own paths take the gateway's internal tokens: an rv_ key there is no operator's mistake
        assertEquals("Not authenticated", ApiExceptionMappers.notAuthenticatedDetail("/v1/reseller/orders", "Bearer rv_abc"));
        assertEquals("Not authenticated", ApiExceptionMappers.notAuthenticatedDetail("/v1/admin/agents", null));
        assertEquals("Not authenticated", ApiExceptionMappers.notAuthenticatedDetail("/v1/admin/agents", "Bearer eyJ.x.y"));
        assertEquals("Not authenticated", ApiExceptionMappers.notAuthenticatedDetail(null, "Bearer rv_abc"));
    }
}
