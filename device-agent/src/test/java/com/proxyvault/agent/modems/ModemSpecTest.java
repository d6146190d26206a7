package com.proxyvault.agent.modems;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModemSpecTest {

    @Test
    void shouldParseTheCompactModemList() {
        List<ModemSpec> specs = ModemSpec.parseList(" lax-1:LAX:false:203.0.113.11, nyc-1:NYC:true:203.0.113.21 ,");

        assertEquals(List.of(
                new ModemSpec("lax-1", "LAX", false, "203.0.113.11"),
                new ModemSpec("nyc-1", "NYC", true, "203.0.113.21")), specs);
    }

    @Test
    void shouldRejectMalformedOrDuplicateModems() {
        assertThrows(IllegalArgumentException.class, () -> ModemSpec.parseList("lax-1:LAX:203.0.113.11"));
        assertThrows(IllegalArgumentException.class, () -> ModemSpec.parseList("lax-1:LAX:maybe:203.0.113.11"));
        assertThrows(IllegalArgumentException.class,
                () -> ModemSpec.parseList("lax-1:LAX:false:203.0.113.11,lax-1:LAX:false:203.0.113.12"));
    }

    @Test
    void shouldResetASimulatedModemToAnotherDocumentationAddress() {
        SimulatedModemDriver modem = new SimulatedModemDriver(new ModemSpec("lax-1", "LAX", false, "203.0.113.11"));

        for (int i = 0; i < 20; i++) {
            String before = modem.exitIp();
            String after = modem.resetIp(i % 2 == 0 ? ResetMode.FAST : ResetMode.HARD).toCompletableFuture().join();

            assertNotEquals(before, after);
            assertEquals(after, modem.exitIp());
            assertTrue(after.startsWith("203.0.113."), after);
        }
        assertTrue(modem.egressBindAddress().isEmpty(), "a simulated modem egresses from the host directly");
    }
}
