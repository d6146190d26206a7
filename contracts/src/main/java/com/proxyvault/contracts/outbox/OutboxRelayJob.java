package com.proxyvault.contracts.outbox;

import io.quarkus.arc.properties.IfBuildProperty;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.ScheduledExecution;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.hibernate.reactive.mutiny.Mutiny;

import java.util.Optional;

/**
 * Publishes a service's outbox to Kafka every {@code proxyvault.outbox.interval} (see {@link OutboxRelay}).
 * A service that produces events turns it on at build time with {@code proxyvault.outbox.enabled=true}
 * and configures the {@code outbox} channel (smallrye-kafka, {@code acks=all},
 * {@code enable.idempotence=true}).
 */
@ApplicationScoped
@IfBuildProperty(name = "proxyvault.outbox.enabled", stringValue = "true")
public class OutboxRelayJob {

    private final OutboxRelay relay;

    public OutboxRelayJob(Mutiny.SessionFactory sessionFactory,
                          @Channel("outbox") MutinyEmitter<String> emitter,
                          @ConfigProperty(name = "proxyvault.topic-prefix") Optional<String> topicPrefix) {
        this.relay = new OutboxRelay(sessionFactory, emitter, topicPrefix.orElse(""), 100);
    }

    @Scheduled(every = "${proxyvault.outbox.interval}", skipExecutionIf = UntilStarted.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> publish() {
        return relay.publishBatch().replaceWithVoid();
    }

    /**
     * The scheduler starts ticking before messaging has wired its channels, and the {@code outbox} emitter
     * cannot be injected until then: skip ticks until the application has started.
     */
    @Singleton
    @IfBuildProperty(name = "proxyvault.outbox.enabled", stringValue = "true")
    public static class UntilStarted implements Scheduled.SkipPredicate {
        private volatile boolean started;

        void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) StartupEvent event) {
            started = true;
        }

        @Override
        public boolean test(ScheduledExecution execution) {
            return !started;
        }
    }
}
