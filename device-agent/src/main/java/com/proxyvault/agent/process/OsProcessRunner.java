package com.proxyvault.agent.process;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Real processes, one per call, on a pool of threads of their own (a process blocks; no event loop may wait for
 * it). Standard input is written and closed, both outputs are read fully, then the exit code decides.
 * Messages name the tool by its file name ({@code mmcli}, {@code nft}), whatever path was configured.
 */
public final class OsProcessRunner implements ProcessRunner {

    private static final Logger LOG = Logger.getLogger(OsProcessRunner.class);

    private final ExecutorService executor;

    /** @param executor runs each blocking call and its two output readers (a cached pool: three threads per call) */
    public OsProcessRunner(ExecutorService executor) {
        this.executor = executor;
    }

    @Override
    public CompletionStage<String> run(List<String> command, String stdin, Duration timeout) {
        return CompletableFuture.supplyAsync(() -> runBlocking(command, stdin, timeout), executor);
    }

    private String runBlocking(List<String> command, String stdin, Duration timeout) {
        String described = describe(command);
        LOG.debugf("Running %s", command);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()), executor);
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()), executor);
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // The tool exited without reading its input: its exit code and error text say why.
                LOG.debugf("%s did not take its standard input: %s", described, e.getMessage());
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new ProcessFailedException(described + " did not finish within " + timeout.toSeconds() + " s");
            }
            if (process.exitValue() != 0) {
                throw new ProcessFailedException(described + " failed (exit " + process.exitValue() + "): " + stderr.join().trim());
            }
            return stdout.join();
        } catch (IOException e) {
            throw new ProcessFailedException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProcessFailedException("interrupted while running " + described, e);
        }
    }

    /** {@code mmcli -m 0 -K}: the tool's file name and its arguments. */
    static String describe(List<String> command) {
        Path executable = Path.of(command.get(0)).getFileName();
        StringBuilder text = new StringBuilder(executable == null ? command.get(0) : executable.toString());
        command.stream().skip(1).forEach(arg -> text.append(' ').append(arg));
        return text.toString();
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
