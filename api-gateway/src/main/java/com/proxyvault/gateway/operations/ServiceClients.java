package com.proxyvault.gateway.operations;

import com.proxyvault.gateway.forwarding.UpstreamInstances;
import com.proxyvault.gateway.forwarding.Upstreams;
import com.proxyvault.platform.http.ApiException;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import jakarta.inject.Singleton;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One {@link InternalOperatorApi} client per backend service instance (billing, orders, fleet, webhooks), at the
 * base URL the routing config gives it ({@code proxyvault.routing.upstreams.*}), with the upstream
 * timeout. Built once and kept: REST clients are thread-safe and hold a connection pool.
 */
@Singleton
public class ServiceClients {

    private final Upstreams upstreams;
    private final UpstreamInstances instances;
    private final Map<String, InternalOperatorApi> clients = new ConcurrentHashMap<>();
    private final Map<String, ResellerViewApi> billingViews = new ConcurrentHashMap<>();

    public ServiceClients(Upstreams upstreams, UpstreamInstances instances) {
        this.upstreams = upstreams;
        this.instances = instances;
    }

    /** The client of {@code service}; 404 "Service not found" for a name that is not a backend. */
    public InternalOperatorApi of(String service) {
        String baseUrl = instances.pick(service); // an instance in rotation when several are listed
        if (baseUrl == null) {
            throw ApiException.notFound("Service not found");
        }
        return clients.computeIfAbsent(baseUrl, ignored -> build(baseUrl, InternalOperatorApi.class));
    }

    /** billing-service's reseller reads, for an operator looking at one reseller (docs/console.md). */
    public ResellerViewApi billingAsReseller() {
        String baseUrl = instances.pick("billing");
        return billingViews.computeIfAbsent(baseUrl, ignored -> build(baseUrl, ResellerViewApi.class));
    }

    private <T> T build(String baseUrl, Class<T> api) {
        return QuarkusRestClientBuilder.newBuilder()
                .baseUri(URI.create(baseUrl))
                .connectTimeout(2, TimeUnit.SECONDS)
                .readTimeout(upstreams.upstreamTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .followRedirects(false)
                // Statuses pass through to the operator: no exception for a service's 4xx.
                .disableDefaultMapper(true)
                .build(api);
    }
}
