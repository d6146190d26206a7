package com.proxyvault.gateway.forwarding;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.net.ConnectException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The instances of every backend service and which of them may get requests: what a Kubernetes Service
 * does for a pod set, for the local stack that runs two of everything on one machine (docs/operations.md,
 * "Two of everything").
 * <ul>
 *   <li>A service listed once ({@code BILLING_URL=http://billing-service:8080}, as in Kubernetes) is
 *       always that URL; nothing is probed.</li>
 *   <li>A service listed several times ({@code BILLING_URL=http://127.0.0.1:8081,http://127.0.0.1:8181})
 *       is taken in turn over the instances in rotation. Each is asked {@code GET /q/health/ready} every
 *       {@link Upstreams#healthInterval()}: not 200 (or no answer within the interval) takes it out of
 *       rotation, 200 puts it back, like a readiness probe removing a pod's endpoint.</li>
 *   <li>A refused connection ({@link #isConnectFailure}) takes the instance out at once, without waiting
 *       for the next probe; the request never reached it, so the caller may send it to another
 *       ({@link #another}).</li>
 *   <li>With every instance out, all are tried in turn again: a gateway that refuses everything because
 *       its probes are wrong would be worse than one that tries.</li>
 * </ul>
 * Why our own code: no library at hand does active health checks over a static list (SmallRye Stork's
 * static list has none, and leaves failover to the caller: smallrye-stork#232).
 */
@Singleton
public class UpstreamInstances {

    private static final Logger LOG = Logger.getLogger(UpstreamInstances.class);

    /** One instance: its base URL and whether it is in rotation. */
    static final class Instance {
        final String baseUrl;
        volatile boolean inRotation = true;

        Instance(String baseUrl) {
            this.baseUrl = baseUrl;
        }
    }

    private final Upstreams config;
    private final Map<String, List<Instance>> byService = new LinkedHashMap<>();
    private final AtomicLong turn = new AtomicLong();
    private Vertx vertx;
    private HttpClient probeClient;
    private long timerId = -1;

    public UpstreamInstances(Upstreams config) {
        this.config = config;
        config.upstreams().forEach((service, listed) -> {
            List<Instance> instances = new ArrayList<>();
            Arrays.stream(listed.split(",")).map(String::trim).filter(url -> !url.isEmpty())
                    .map(url -> url.endsWith("/") ? url.substring(0, url.length() - 1) : url)
                    .forEach(url -> instances.add(new Instance(url)));
            byService.put(service, List.copyOf(instances));
        });
    }

    /**
     * The base URL of an instance of {@code service} in rotation, in turn ({@code http://host:port}, no
     * trailing slash); null for no such service.
     */
    public String pick(String service) {
        List<Instance> instances = byService.get(service);
        if (instances == null || instances.isEmpty()) {
            return null;
        }
        if (instances.size() == 1) {
            return instances.get(0).baseUrl;
        }
        int start = (int) Math.floorMod(turn.getAndIncrement(), (long) instances.size());
        for (int i = 0; i < instances.size(); i++) {
            Instance candidate = instances.get((start + i) % instances.size());
            if (candidate.inRotation) {
                return candidate.baseUrl;
            }
        }
        return instances.get(start).baseUrl; // none in rotation: try them anyway, in turn
    }

    /**
     * An instance of {@code service} in rotation other than {@code failed}, for sending again a request
     * whose connection {@code failed} refused; null when there is none.
     */
    public String another(String service, String failed) {
        List<Instance> instances = byService.get(service);
        if (instances == null) {
            return null;
        }
        for (Instance candidate : instances) {
            if (candidate.inRotation && !candidate.baseUrl.equals(failed)) {
                return candidate.baseUrl;
            }
        }
        return null;
    }

    /** Takes {@code baseUrl} of {@code service} out of rotation after a refused connection, until a probe passes. */
    public void connectFailed(String service, String baseUrl) {
        List<Instance> instances = byService.get(service);
        if (instances == null || instances.size() < 2) {
            return;
        }
        for (Instance instance : instances) {
            if (instance.baseUrl.equals(baseUrl) && instance.inRotation) {
                instance.inRotation = false;
                LOG.warnf("%s instance %s refused a connection: out of rotation until its health check passes",
                        service, baseUrl);
            }
        }
    }

    /** Records one health check: {@code ready} puts the instance back in rotation, otherwise takes it out. */
    void probed(String service, Instance instance, boolean ready) {
        if (instance.inRotation != ready) {
            LOG.infof("%s instance %s %s", service, instance.baseUrl, ready ? "ready: back in rotation" : "not ready: out of rotation");
        }
        instance.inRotation = ready;
    }

    /** Whether {@code baseUrl} of {@code service} is in rotation (tests, the operator's view). */
    public boolean inRotation(String service, String baseUrl) {
        return byService.getOrDefault(service, List.of()).stream()
                .anyMatch(instance -> instance.baseUrl.equals(baseUrl) && instance.inRotation);
    }

    /**
     * True for a failure that happened before the request reached the instance: a refused or timed-out
     * connect. Only those may be sent to another instance; a failure after sending may have had effects.
     */
    public static boolean isConnectFailure(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof io.netty.channel.ConnectTimeoutException) {
                return true;
            }
        }
        return false;
    }

    void start(@Observes StartupEvent started, Vertx vertx) {
        startProbing(vertx);
    }

    /** Starts the health checks of every service listed with several instances (none otherwise). */
    void startProbing(Vertx vertx) {
        if (byService.values().stream().noneMatch(instances -> instances.size() > 1)) {
            return;
        }
        this.vertx = vertx;
        long intervalMillis = Math.max(100, config.healthInterval().toMillis());
        probeClient = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                .setConnectTimeout((int) intervalMillis));
        timerId = vertx.setPeriodic(intervalMillis, ignored -> probeAll(intervalMillis));
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (vertx != null && timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
        if (probeClient != null) {
            probeClient.close();
        }
    }

    private void probeAll(long timeoutMillis) {
        byService.forEach((service, instances) -> {
            if (instances.size() < 2) {
                return;
            }
            for (Instance instance : instances) {
                probeClient.request(new RequestOptions().setMethod(HttpMethod.GET)
                                .setAbsoluteURI(instance.baseUrl + "/q/health/ready").setIdleTimeout(timeoutMillis))
                        .compose(request -> request.send())
                        .compose(response -> response.body().map(ignored -> response.statusCode()))
                        .onComplete(result -> probed(service, instance, result.succeeded() && result.result() == 200));
            }
        });
    }
}
