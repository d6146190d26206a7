package com.proxyvault.orders;

import com.proxyvault.orders.orders.BillingAuthorization;
import com.proxyvault.platform.auth.InternalTokens;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;

/** Stands in for the service identity order-service does not have yet: a reseller token for billing. */
@Alternative
@Priority(1)
@ApplicationScoped
public class TestBillingAuthorization implements BillingAuthorization {
    @Override
    public Uni<String> forReseller(long resellerId) {
        return Uni.createFrom().item("Bearer " + InternalTokens.billing().reseller(resellerId));
    }
}
