package com.proxyvault.agent.modems;

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

/** The process plumbing of the mmcli runner, with a shell script standing in for mmcli. */
class ProcessMmcliTest {

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private static Path script(Path dir, String body) throws Exception {
        Path script = dir.resolve("mmcli");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    @Test
    void shouldReturnStandardOutputAndPassArgumentsAsGiven(@TempDir Path dir) throws Exception {
        Path mmcli = script(dir, "echo \"args: $*\"; echo 'modem-list.length : 0'");
        String output = new ProcessMmcli(mmcli.toString(), Duration.ofSeconds(20), threads)
                .run(List.of("-L", "-K")).toCompletableFuture().join();
        assertEquals("args: -L -K\nmodem-list.length : 0\n", output);
    }

    @Test
    void shouldFailWithTheErrorTextOnANonZeroExit(@TempDir Path dir) throws Exception {
        Path mmcli = script(dir, "echo \"error: couldn't find modem\" >&2; exit 1");
        CompletionException failure = assertThrows(CompletionException.class, () ->
                new ProcessMmcli(mmcli.toString(), Duration.ofSeconds(20), threads).run(List.of("-m", "7", "-K")).toCompletableFuture().join());
        assertInstanceOf(ModemException.class, failure.getCause());
        assertTrue(failure.getCause().getMessage().contains("couldn't find modem"), failure.getCause().getMessage());
        assertTrue(failure.getCause().getMessage().contains("exit 1"), failure.getCause().getMessage());
    }

    @Test
    void shouldFailWhenMmcliIsMissing(@TempDir Path dir) {
        CompletionException failure = assertThrows(CompletionException.class, () ->
                new ProcessMmcli(dir.resolve("no-mmcli").toString(), Duration.ofSeconds(20), threads).run(List.of("-L")).toCompletableFuture().join());
        assertInstanceOf(ModemException.class, failure.getCause());
    }
}
