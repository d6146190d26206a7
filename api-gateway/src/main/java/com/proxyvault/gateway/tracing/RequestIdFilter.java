package com.proxyvault.gateway.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Every response of the public port carries the request's trace id as {@code X-Request-Id}: the id a
 * reseller quotes to support, and the {@code traceId=} of every log line about that request in every
 * service (OpenTelemetry carries it on through the internal calls and the events).
 */
@ApplicationScoped
public class RequestIdFilter {

    public static final String HEADER = "X-Request-Id";
    /** Before the routes and anything that could answer early. */
    private static final int PRIORITY = 10_000;

    void register(@Observes Filters filters) {
        filters.register(context -> {
            SpanContext span = Span.current().getSpanContext();
            if (span.isValid()) {
                String traceId = span.getTraceId();
                context.addHeadersEndHandler(ignored -> context.response().headers().set(HEADER, traceId));
            }
            context.next();
        }, PRIORITY);
    }
}
