package com.proxyvault.platform.vertx;

import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.util.function.Supplier;

/**
 * Database work started from outside a request or a Kafka message — a gRPC stream callback, an agent's
 * command result, a commit signal — must run on a Vert.x context of its own: Hibernate Reactive needs a
 * context and never shares a session between concurrent work. {@link #onNewContext} runs it on a fresh,
 * safe duplicated context ({@link VertxContextSupport}) and hands the outcome back as a Uni.
 */
@Singleton
public class VertxContexts {

    /** Subscribes {@code work} on a new duplicated context; the returned Uni carries its item or failure. */
    public <T> Uni<T> onNewContext(Supplier<Uni<T>> work) {
        return Uni.createFrom().emitter(emitter -> {
            try {
                VertxContextSupport.subscribe(() -> work.get().toMulti(), subscribe -> subscribe.with(
                        emitter::complete, emitter::fail, () -> emitter.complete(null)));
            } catch (RuntimeException e) {
                emitter.fail(e);
            }
        });
    }
}
