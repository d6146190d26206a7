package com.proxyvault.agent.link;

import com.proxyvault.contracts.agent.v1.Hello;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An agent given two fleet addresses (FLEET_GRPC_NAME_RESOLVER=stork, FLEET_GRPC_ADDRESSES; docs/fleet.md "Several
 * fleet addresses") moves its stream to the other replica when the one holding it dies, as it does behind the
 * Kubernetes Service. A new-user review killed the local stack's fleet-1: its agent dialled only fleet-1's port and
 * stayed away (all its proxies offline) until fleet-1 was started again.
 */
@QuarkusTest
@WithTestResource(TwoFakeFleetsResource.class)
class FleetFailoverTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TwoFakeFleetsResource.InjectFakeFleets
    TwoFakeFleetsResource.FakeFleets fleets;

    @Inject
    FleetLink link;

    @Test
    void shouldSayHelloToTheOtherReplicaWhenTheOneHoldingItsStreamDies() throws Exception {
        await().atMost(PATIENCE).until(() -> (fleets.first().agentConnected() || fleets.second().agentConnected()) && isReady());
        FakeFleet holder = fleets.first().agentConnected() ? fleets.first() : fleets.second();
        FakeFleet other = holder == fleets.first() ? fleets.second() : fleets.first();
        assertEquals("127.0.0.1:" + fleets.first().port() + ",127.0.0.1:" + fleets.second().port(), link.fleetAddress(),
                "the log and the health check name both addresses");
        other.forgetHellos();

        holder.stop(); // its streams end and its port refuses connections, as after a kill -9

        Hello again = other.awaitNextHello();
        assertEquals(holder.latestHello().getAgentId(), again.getAgentId());
        await().atMost(PATIENCE).until(FleetFailoverTest::isReady);
    }

    private static boolean isReady() {
        return given().get("/q/health/ready").statusCode() == 200;
    }
}
