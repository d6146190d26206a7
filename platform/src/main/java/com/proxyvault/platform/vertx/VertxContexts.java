package com.proxyvault.platform.vertx;

import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.inject.Singleton;

import java.util.function.Supplier;

/**
 * Database work started from outside a request or a Kafka message — a gRPC stream callback, an agent's
 * command result, a commit signal — must run on a Vert.x context of its own: Hibernate Reactive needs a
 * context and never shares a session between concurrent work. {@link #onNewContext} runs it on a fresh
 * duplicated context marked safe, and hands the outcome back as a Uni.
 *
 * <p>Why not {@code io.quarkus.vertx.VertxContextSupport}: it refuses to be called on an event loop, and
 * these callbacks arrive on one. Marking the context safe is what Hibernate Reactive asks Quarkus to
 * confirm; the context is ours alone, so it is.
 */
@Singleton
public class VertxContexts {

    private final Vertx vertx;

    public VertxContexts(Vertx vertx) {
        this.vertx = vertx;
    }

    /** Subscribes {@code work} on a new duplicated context; the returned Uni carries its item or failure. */
    public <T> Uni<T> onNewContext(Supplier<Uni<T>> work) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(context, true);
        return Uni.createFrom().emitter(emitter -> context.runOnContext(ignored -> {
            try {
                work.get().subscribe().with(emitter::complete, emitter::fail);
            } catch (RuntimeException e) {
                emitter.fail(e);
            }
        }));
    }
}
