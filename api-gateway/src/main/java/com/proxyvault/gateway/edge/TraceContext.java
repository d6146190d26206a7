package com.proxyvault.gateway.edge;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.http.HttpServerRequest;

import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The W3C trace context (https://www.w3.org/TR/trace-context/) of a request on the public port, without
 * the cost of OpenTelemetry spans on the hot path (docs/decisions.md, "Tracing"): the gateway's Vert.x
 * HTTP instrumentation is off by default ({@code quarkus.otel.instrument.vertx-http}), so it adopts the
 * caller's {@code traceparent} or starts a trace itself, answers its trace id as {@code X-Request-Id} and
 * passes {@code 00-<trace id>-<new span id>-00} on to the services, which trace and log under it as
 * before. With the instrumentation switched on (spans exported), the current span's ids are used instead.
 */
public record TraceContext(String traceId, String traceparent, boolean fromSpan) {

    public static final String HEADER = "traceparent";
    private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
    private static final String INVALID_TRACE_ID = "0".repeat(32);

    /** The request's trace: the current span's, else the caller's valid {@code traceparent}'s, else new. */
    public static TraceContext of(HttpServerRequest request) {
        SpanContext span = Span.current().getSpanContext();
        if (span.isValid()) {
            return new TraceContext(span.getTraceId(), null, true);
        }
        String incoming = request.getHeader(HEADER);
        String traceId = null;
        if (incoming != null && incoming.length() == 55) {
            var matcher = TRACEPARENT.matcher(incoming);
            if (matcher.matches() && !matcher.group(1).equals(INVALID_TRACE_ID) && !matcher.group(2).equals("0".repeat(16))) {
                traceId = matcher.group(1);
            }
        }
        if (traceId == null) {
            traceId = hex(ThreadLocalRandom.current().nextLong() | 1L) + hex(ThreadLocalRandom.current().nextLong());
        }
        String spanId = hex(ThreadLocalRandom.current().nextLong() | 1L);
        return new TraceContext(traceId, "00-" + traceId + "-" + spanId + "-00", false);
    }

    private static String hex(long value) {
        String digits = Long.toHexString(value);
        return "0".repeat(16 - digits.length()) + digits;
    }
}
