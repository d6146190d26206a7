package com.proxyvault.agent.modems;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static com.proxyvault.agent.modems.SimulatedModemSettings.Outcome.FAIL;
import static com.proxyvault.agent.modems.SimulatedModemSettings.Outcome.OK;
import static com.proxyvault.agent.modems.SimulatedModemSettings.Outcome.SILENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedModemDriverTest {

    private static final ModemSpec SPEC = new ModemSpec("lax-1", "LAX", false, "203.0.113.11");
    private static final Duration SHORT = Duration.ofMillis(20);

    private static SimulatedModemDriver driver(double failureRate, double silentRate, SimulatedModemSettings.Outcome... script) {
        return new SimulatedModemDriver(SPEC, new SimulatedModemSettings(SHORT, SHORT.multipliedBy(2), failureRate, silentRate, List.of(script)),
                new Random(8));
    }

    private static String reset(SimulatedModemDriver driver, ResetMode mode) {
        return driver.resetIp(mode).toCompletableFuture().join();
    }

    @Test
    void shouldMoveToAnotherDocumentationAddressOnEitherReset() {
        SimulatedModemDriver modem = driver(0, 0);
        for (ResetMode mode : ResetMode.values()) {
            String before = modem.exitIp();
            String after = reset(modem, mode);
            assertNotEquals(before, after, mode.toString());
            assertTrue(after.startsWith("203.0.113."), after);
            assertEquals(after, modem.exitIp());
            assertTrue(modem.online());
        }
    }

    @Test
    void shouldBeOfflineWhileAResetIsUnderWayAndCoalesceOverlappingResets() {
        SimulatedModemDriver modem = new SimulatedModemDriver(SPEC,
                new SimulatedModemSettings(Duration.ofSeconds(1), Duration.ofSeconds(1), 0, 0, List.of(OK, FAIL)), new Random(1));
        CompletableFuture<String> first = modem.resetIp(ResetMode.FAST).toCompletableFuture();
        assertFalse(modem.online(), "a modem reconnecting carries no traffic");
        CompletableFuture<String> second = modem.resetIp(ResetMode.HARD).toCompletableFuture();

        assertEquals(first.join(), second.join(), "the second reset joined the first (its FAIL outcome was never drawn)");
        assertTrue(modem.online());
    }

    @Test
    void shouldReportSuccessWithTheSameAddressOnASilentFailure() {
        SimulatedModemDriver modem = driver(0, 0, SILENT, SILENT, OK);
        String original = modem.exitIp();

        assertEquals(original, reset(modem, ResetMode.FAST), "reports success, IP unchanged");
        assertEquals(original, reset(modem, ResetMode.HARD));
        assertNotEquals(original, reset(modem, ResetMode.HARD), "after the script, resets work");
    }

    @Test
    void shouldFailAResetWithAModemExceptionAndKeepTheAddress() {
        SimulatedModemDriver modem = driver(0, 0, FAIL);
        String original = modem.exitIp();

        CompletionException failure = assertThrows(CompletionException.class, () -> reset(modem, ResetMode.FAST));
        assertInstanceOf(ModemException.class, failure.getCause());
        assertEquals(original, modem.exitIp());
        assertTrue(modem.online());
    }

    @Test
    void shouldDrawOutcomesWithTheConfiguredRates() {
        SimulatedModemDriver always = driver(0, 1);
        String original = always.exitIp();
        for (int i = 0; i < 5; i++) {
            assertEquals(original, reset(always, ResetMode.FAST));
        }

        SimulatedModemDriver half = new SimulatedModemDriver(SPEC, new SimulatedModemSettings(Duration.ZERO, Duration.ZERO, 0.25, 0.25, List.of()),
                new Random(42));
        int failed = 0;
        int silent = 0;
        for (int i = 0; i < 400; i++) {
            String before = half.exitIp();
            try {
                if (reset(half, ResetMode.FAST).equals(before)) {
                    silent++;
                }
            } catch (CompletionException e) {
                failed++;
            }
        }
        assertTrue(failed > 60 && failed < 140, "about a quarter failed: " + failed);
        assertTrue(silent > 60 && silent < 140, "about a quarter silent: " + silent);
    }

    @Test
    void shouldRefuseImpossibleSettings() {
        assertThrows(IllegalArgumentException.class, () -> new SimulatedModemSettings(SHORT, SHORT, 0.6, 0.6, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new SimulatedModemSettings(SHORT, SHORT, -0.1, 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> SimulatedModemSettings.Outcome.parse("maybe"));
        assertSame(SILENT, SimulatedModemSettings.Outcome.parse(" Silent "));
    }
}
