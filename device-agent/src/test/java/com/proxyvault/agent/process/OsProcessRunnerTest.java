package com.proxyvault.agent.process;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The process plumbing shared by mmcli and nft, with shell scripts standing in for the tools. */
class OsProcessRunnerTest {

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final OsProcessRunner runner = new OsProcessRunner(threads);

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private static Path script(Path dir, String name, String body) throws Exception {
        Path script = dir.resolve(name);
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    @Test
    void shouldWriteStandardInputAndReturnStandardOutput(@TempDir Path dir) throws Exception {
        Path nft = script(dir, "nft", "echo \"args: $*\"; cat");
        String output = runner.run(List.of(nft.toString(), "-f", "-"), "table inet proxyvault\n", Duration.ofSeconds(20))
                .toCompletableFuture().join();
        assertEquals("args: -f -\ntable inet proxyvault\n", output);
    }

    @Test
    void shouldNameTheToolItsExitCodeAndItsErrorTextWhenItFails(@TempDir Path dir) throws Exception {
        Path nft = script(dir, "nft", "cat >/dev/null; echo 'Error: Could not process rule: Operation not permitted' >&2; exit 1");
        CompletionException failure = assertThrows(CompletionException.class, () ->
                runner.run(List.of(nft.toString(), "-f", "-"), "table inet proxyvault\n", Duration.ofSeconds(20))
                        .toCompletableFuture().join());
        assertInstanceOf(ProcessFailedException.class, failure.getCause());
        assertEquals("nft -f - failed (exit 1): Error: Could not process rule: Operation not permitted",
                failure.getCause().getMessage());
    }

    @Test
    void shouldSayATimedOutOrMissingToolIsOne(@TempDir Path dir) throws Exception {
        Path slow = script(dir, "nft", "sleep 30");
        CompletionException timedOut = assertThrows(CompletionException.class, () ->
                runner.run(List.of(slow.toString(), "-f", "-"), null, Duration.ofMillis(300)).toCompletableFuture().join());
        assertTrue(timedOut.getCause().getMessage().contains("did not finish"), timedOut.getCause().getMessage());
        CompletionException missing = assertThrows(CompletionException.class, () ->
                runner.run(List.of(dir.resolve("no-nft").toString(), "-f", "-"), "", Duration.ofSeconds(20))
                        .toCompletableFuture().join());
        assertInstanceOf(ProcessFailedException.class, missing.getCause());
        assertTrue(missing.getCause().getMessage().startsWith("cannot run "), missing.getCause().getMessage());
    }
}
