package com.proxyvault.platform.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;

/**
 * Carries a trace across a database row (an outbox event, a queued command): the W3C
 * {@code traceparent} text ({@code 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>}, W3C Trace
 * Context §3.2) of the span current when the row was written, and back to an OpenTelemetry
 * {@link Context} when the row is worked on later, on another thread or another replica.
 */
public final class TraceParents {

    private TraceParents() {
    }

    /** The current span as a traceparent, or null when there is none (no tracing, or outside a request). */
    public static String current() {
        SpanContext span = Span.current().getSpanContext();
        if (!span.isValid()) {
            return null;
        }
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
    }

    /** The context whose parent is {@code traceparent}; the root context when it is null or malformed. */
    public static Context toContext(String traceparent) {
        if (traceparent == null || traceparent.length() != 55) {
            return Context.root();
        }
        String[] parts = traceparent.split("-");
        if (parts.length != 4) {
            return Context.root();
        }
        SpanContext remote = SpanContext.createFromRemoteParent(parts[1], parts[2],
                TraceFlags.fromHex(parts[3], 0), TraceState.getDefault());
        return remote.isValid() ? Context.root().with(Span.wrap(remote)) : Context.root();
    }
}
