package com.proxyvault.agent.modems;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code mmcli}, one process per call, on a small pool of its own threads (a process blocks;
 * no event loop may wait for it). Its output is read fully, then the exit code decides.
 */
public final class ProcessMmcli implements Mmcli {

    private static final Logger LOG = Logger.getLogger(ProcessMmcli.class);

    private final String executable;
    private final Duration timeout;
    private final ExecutorService executor;

    /**
     * @param executable {@code mmcli} or a path to it
     * @param timeout    longest a single call may take (a {@code --simple-connect} can take tens of seconds)
     */
    public ProcessMmcli(String executable, Duration timeout, ExecutorService executor) {
        this.executable = executable;
        this.timeout = timeout;
        this.executor = executor;
    }

    @Override
    public CompletionStage<String> run(List<String> args) {
        return CompletableFuture.supplyAsync(() -> runBlocking(args), executor);
    }

    private String runBlocking(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(executable);
        command.addAll(args);
        LOG.debugf("Running %s", command);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()), executor);
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()), executor);
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new ModemException("mmcli " + String.join(" ", args) + " did not finish within " + timeout.toSeconds() + " s");
            }
            if (process.exitValue() != 0) {
                throw new ModemException("mmcli " + String.join(" ", args) + " failed (exit " + process.exitValue() + "): "
                        + stderr.join().trim());
            }
            return stdout.join();
        } catch (IOException e) {
            throw new ModemException("cannot run " + executable + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModemException("interrupted while running mmcli", e);
        }
    }

    private static String readAll(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
