package com.proxyvault.orders.outbox;

import com.proxyvault.contracts.outbox.OutboxRelay;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.hibernate.reactive.mutiny.Mutiny;

import java.util.Optional;

/** Publishes this service's outbox to Kafka (see {@link OutboxRelay}). */
@ApplicationScoped
public class OutboxRelayJob {

    private final OutboxRelay relay;

    public OutboxRelayJob(Mutiny.SessionFactory sessionFactory,
                          @Channel("outbox") MutinyEmitter<String> emitter,
                          @ConfigProperty(name = "proxyvault.topic-prefix") Optional<String> topicPrefix) {
        this.relay = new OutboxRelay(sessionFactory, emitter, topicPrefix.orElse(""), 100);
    }

    @Scheduled(every = "${proxyvault.outbox.interval}", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> publish() {
        return relay.publishBatch().replaceWithVoid();
    }
}
