package com.proxyvault.fleet.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The address a replica advertises to the others, from Kubernetes' {@code FLEET_REPLICA_URL=http://$(POD_IP):8083}:
 * valid on IPv4 and on IPv6-primary clusters alike (docs/deploy.md, "Scaling").
 */
class ReplicaUrlTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            http://10.42.1.7:8083           | http://10.42.1.7:8083
            http://fd00:10:244::1a:8083     | http://[fd00:10:244::1a]:8083
            http://2001:db8::7:8083/        | http://[2001:db8::7]:8083/
            http://[fd00::1a]:8083          | http://[fd00::1a]:8083
            http://127.0.0.1:8085           | http://127.0.0.1:8085
            http://localhost:8083           | http://localhost:8083
            http://fleet-0.example:8083/x   | http://fleet-0.example:8083/x
            """)
    void shouldPutAnIpv6PodAddressInBracketsAndLeaveEverythingElseAlone(String given, String expected) {
        assertEquals(expected, FleetReplicas.withBracketedHost(given));
    }
}
