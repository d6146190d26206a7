package com.proxyvault.agent.fingerprint;

import com.proxyvault.agent.modems.Modems;
import com.proxyvault.agent.process.RecordedProcessRunner;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nftables shaper against the exact {@code nft -f -} input it would give a modem host (no nft, no root): the
 * rules per OS, removal, failures that change nothing, one system per modem, and interfaces that come and move.
 */
class FingerprintShaperTest {

    private static final String HEADER = "# Written by the ProxyVault device-agent (docs/fleet.md \"OS fingerprints\"); replaced as a whole.\n"
            + "table inet proxyvault\n"
            + "delete table inet proxyvault\n";

    private final InterfaceModem lax1 = new InterfaceModem("lax-1", "wwan0");
    private final InterfaceModem lax2 = new InterfaceModem("lax-2", "wwan1");
    private final RecordedProcessRunner nft = new RecordedProcessRunner();
    private final FingerprintShaper shaper = FingerprintShaper.nftables(nft, "/usr/sbin/nft", Duration.ofSeconds(10),
            new Modems(List.of(lax1, lax2)), 16L << 20);

    private static void await(java.util.concurrent.CompletionStage<Void> stage) {
        stage.toCompletableFuture().join();
    }

    @Test
    void shouldRenderOneChainPerModemWithItsSystemsTtlHopLimitAndMss() {
        await(shaper.set(11, "lax-1", OsFingerprint.WINDOWS));
        await(shaper.set(12, "lax-2", OsFingerprint.MACOS));

        assertEquals(List.of("/usr/sbin/nft", "-f", "-"), nft.runs().get(0).command());
        assertEquals(HEADER + """
                table inet proxyvault {
                \tchain postrouting {
                \t\ttype filter hook postrouting priority -150; policy accept;
                \t\toifname "wwan0" jump modem_lax_1
                \t\toifname "wwan1" jump modem_lax_2
                \t}
                \tchain modem_lax_1 {
                \t\tip ttl set 128
                \t\tip6 hoplimit set 128
                \t\ttcp flags syn tcp option maxseg size set 1460
                \t}
                \tchain modem_lax_2 {
                \t\tip ttl set 64
                \t\tip6 hoplimit set 64
                \t\ttcp flags syn tcp option maxseg size set 1460
                \t}
                }
                """, nft.lastInput());
        assertEquals(2, nft.runs().size(), "one atomic nft run per change");
    }

    @Test
    void shouldGiveLinuxTtl64AndRemoveTheRulesWithNone() {
        await(shaper.set(11, "lax-1", OsFingerprint.LINUX));
        assertTrue(nft.lastInput().contains("\t\tip ttl set 64\n\t\tip6 hoplimit set 64\n"), nft.lastInput());

        await(shaper.set(11, "lax-1", OsFingerprint.NONE));
        assertEquals(HEADER, nft.lastInput(), "no shaped modem: the table is deleted and not created again");
        assertEquals(Optional.of(new FingerprintShaper.Wanted("lax-1", OsFingerprint.NONE)), shaper.wanted(11));
    }

    @Test
    void shouldNotRunNftForAChangeThatLeavesTheRulesAsTheyAre() {
        await(shaper.set(11, "lax-1", OsFingerprint.NONE)); // a new proxy without a fingerprint
        await(shaper.set(11, "lax-1", OsFingerprint.WINDOWS));
        await(shaper.set(11, "lax-1", OsFingerprint.WINDOWS)); // the same again (a resent command)
        assertEquals(1, nft.runs().size(), nft.runs().toString());
    }

    @Test
    void shouldChangeNothingWhenNftFailsOrIsMissing() {
        await(shaper.set(11, "lax-1", OsFingerprint.LINUX));
        nft.thenFail("nft -f - failed (exit 1): Error: Could not process rule: Operation not permitted",
                "cannot run nft: No such file or directory");

        CompletionException refused = assertThrows(CompletionException.class, () -> await(shaper.set(11, "lax-1", OsFingerprint.WINDOWS)));
        assertInstanceOf(FingerprintException.class, refused.getCause());
        assertEquals("cannot apply the fingerprint rules: nft -f - failed (exit 1): Error: Could not process rule: Operation not permitted",
                refused.getCause().getMessage());
        CompletionException missing = assertThrows(CompletionException.class, () -> await(shaper.set(11, "lax-1", OsFingerprint.WINDOWS)));
        assertTrue(missing.getCause().getMessage().contains("cannot run nft"), missing.getCause().getMessage());

        assertEquals(Optional.of(new FingerprintShaper.Wanted("lax-1", OsFingerprint.LINUX)), shaper.wanted(11), "still linux");
        await(shaper.reconcile());
        assertEquals(3, nft.runs().size(), "what nft took is what the state says: nothing to reconcile");
        await(shaper.set(11, "lax-1", OsFingerprint.WINDOWS));
        assertTrue(nft.lastInput().contains("ip ttl set 128"), "works once nft does");
    }

    @Test
    void shouldRefuseASecondSystemOnOneModemButLetNoneFollow() {
        await(shaper.set(11, "lax-1", OsFingerprint.WINDOWS));
        await(shaper.set(12, "lax-1", OsFingerprint.NONE));

        CompletionException conflict = assertThrows(CompletionException.class, () -> await(shaper.set(12, "lax-1", OsFingerprint.MACOS)));
        assertInstanceOf(FingerprintException.class, conflict.getCause());
        assertTrue(conflict.getCause().getMessage().startsWith("modem lax-1 already presents windows for proxy 11"),
                conflict.getCause().getMessage());
        assertEquals(1, nft.runs().size(), "nothing ran for the refused change");

        await(shaper.set(12, "lax-1", OsFingerprint.WINDOWS)); // the same system: fine
        await(shaper.forget(11));
        assertEquals(1, nft.runs().size(), "proxy 12 keeps the modem on windows: the rules stay");
        await(shaper.forget(12));
        assertEquals(HEADER, nft.lastInput(), "the modem's last proxy gone: its rules go");
    }

    @Test
    void shouldApplyAModemsRulesOnceItsInterfaceIsKnownAndFollowItWhenItMoves() {
        lax2.onInterface(null); // offline: no interface yet
        await(shaper.set(12, "lax-2", OsFingerprint.WINDOWS));
        assertTrue(nft.runs().isEmpty(), "nothing to write for a modem without an interface");

        lax2.onInterface("wwan1");
        await(shaper.reconcile());
        assertTrue(nft.lastInput().contains("oifname \"wwan1\" jump modem_lax_2"), nft.lastInput());

        lax2.onInterface("wwan3"); // a hard reset re-enumerated it
        await(shaper.reconcile());
        assertTrue(nft.lastInput().contains("oifname \"wwan3\" jump modem_lax_2"), nft.lastInput());
        await(shaper.reconcile());
        assertEquals(2, nft.runs().size(), "unchanged: not applied again");

        lax2.onInterface("wwan1\" accept; flush ruleset; #"); // never written into a rule
        await(shaper.reconcile());
        assertEquals(HEADER, nft.lastInput());
    }

    @Test
    void shouldReplaceAnEarlierProcesssTableOnItsFirstReconcileAndRetryAFailedOne() {
        nft.thenFail("cannot run nft: No such file or directory");
        await(shaper.reconcile()); // never fails
        await(shaper.reconcile());
        assertEquals(2, nft.runs().size(), "tried again after the failure");
        assertEquals(HEADER, nft.lastInput());
        await(shaper.reconcile());
        assertEquals(2, nft.runs().size());
    }

    @Test
    void shouldSetOriginBuffersOnlyWhenTheHostLetsThemThrough() {
        assertEquals(12 << 20, shaper.originReceiveBufferBytes(OsFingerprint.WINDOWS), "scale 8");
        assertEquals(3 << 20, shaper.originReceiveBufferBytes(OsFingerprint.MACOS), "scale 6");
        assertEquals(6 << 20, shaper.originReceiveBufferBytes(OsFingerprint.LINUX), "scale 7, whatever tcp_rmem says");
        assertEquals(0, shaper.originReceiveBufferBytes(OsFingerprint.NONE), "the kernel's own");
        FingerprintShaper lowLimit = FingerprintShaper.nftables(nft, "nft", Duration.ofSeconds(10), new Modems(List.of(lax1)), 212_992);
        assertEquals(0, lowLimit.originReceiveBufferBytes(OsFingerprint.WINDOWS),
                "capped at rmem_max's default the buffer would announce scale 2: left alone");
        assertEquals(0, FingerprintShaper.recordingOnly().originReceiveBufferBytes(OsFingerprint.WINDOWS));
    }

    @Test
    void shouldWriteRulesetsTheRealNftAccepts() throws Exception {
        // nft's check mode (-c) parses and evaluates the text without changing anything; skipped where nft is absent.
        java.nio.file.Path nftBinary = java.nio.file.Path.of("/usr/sbin/nft");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(nftBinary), "nft is not installed");
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
        try {
            com.proxyvault.agent.process.OsProcessRunner real = new com.proxyvault.agent.process.OsProcessRunner(threads);
            await(shaper.set(11, "lax-1", OsFingerprint.WINDOWS));
            await(shaper.set(12, "lax-2", OsFingerprint.LINUX));
            String shaped = nft.lastInput();
            await(shaper.forget(11));
            await(shaper.forget(12));
            String removed = nft.lastInput();
            for (String text : List.of(shaped, removed)) {
                try {
                    real.run(List.of(nftBinary.toString(), "-c", "-f", "-"), text, Duration.ofSeconds(20)).toCompletableFuture().join();
                } catch (CompletionException e) {
                    org.junit.jupiter.api.Assumptions.assumeFalse(e.getCause().getMessage().contains("Operation not permitted"),
                            "nft may not check here: " + e.getCause().getMessage());
                    throw new AssertionError("nft refused:\n" + text + "\n" + e.getCause().getMessage(), e);
                }
            }
            CompletionException broken = assertThrows(CompletionException.class, () -> real.run(List.of(nftBinary.toString(),
                    "-c", "-f", "-"), shaped.replace("ip ttl set 128", "ip ttl sett 128"), Duration.ofSeconds(20)).toCompletableFuture().join());
            assertTrue(broken.getCause().getMessage().contains("syntax error"), broken.getCause().getMessage());
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void shouldOnlyRecordWhenNotShaping() {
        FingerprintShaper recording = FingerprintShaper.recordingOnly();
        await(recording.set(11, "lax-1", OsFingerprint.WINDOWS));
        await(recording.set(12, "lax-1", OsFingerprint.MACOS)); // no rules, so no conflict either
        await(recording.reconcile());
        assertEquals(Optional.of(new FingerprintShaper.Wanted("lax-1", OsFingerprint.MACOS)), recording.wanted(12));
        assertTrue(!recording.shapes());
    }
}
