package com.proxyvault.agent.modems;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * How simulated modems behave on a reset.
 *
 * @param fastResetDelay    how long a FAST reset takes before the new IP is there (issue 8: ~1 s)
 * @param hardResetDelay    how long a HARD reset takes (issue 8: ~5 s)
 * @param failureRate       share of resets, 0..1, that fail outright (the modem "does not come back": the
 *                          command fails, the IP is unchanged)
 * @param silentFailureRate share of resets, 0..1, that report success although the exit IP did not change
 *                          (the most common complaint about mobile proxies; the fleet must catch it)
 * @param script            outcomes every modem goes through first, in order, before the rates apply:
 *                          deterministic faults for tests (e.g. {@code [SILENT]}: each modem's first reset
 *                          silently keeps its IP, the second works)
 */
public record SimulatedModemSettings(Duration fastResetDelay, Duration hardResetDelay, double failureRate,
                                     double silentFailureRate, List<Outcome> script) {

    /** What one simulated reset does. */
    public enum Outcome {
        /** A new exit IP. */
        OK,
        /** Success reported, same exit IP. */
        SILENT,
        /** The reset fails; same exit IP. */
        FAIL;

        /** Parses {@code ok}, {@code silent} or {@code fail} (any case). */
        public static Outcome parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Simulated reset outcome '" + text + "' is not ok, silent or fail");
            }
        }
    }

    /** Resets that are immediate and always work: unit tests of everything but the modem. */
    public static final SimulatedModemSettings INSTANT = new SimulatedModemSettings(Duration.ZERO, Duration.ZERO, 0, 0, List.of());

    public SimulatedModemSettings {
        if (fastResetDelay.isNegative() || hardResetDelay.isNegative()) {
            throw new IllegalArgumentException("reset delays must not be negative");
        }
        if (failureRate < 0 || silentFailureRate < 0 || failureRate + silentFailureRate > 1) {
            throw new IllegalArgumentException("failure rates must be between 0 and 1 and add up to at most 1, got "
                    + failureRate + " and " + silentFailureRate);
        }
        script = List.copyOf(script);
    }
}
