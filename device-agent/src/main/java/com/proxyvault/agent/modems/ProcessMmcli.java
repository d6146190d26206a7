package com.proxyvault.agent.modems;

import com.proxyvault.agent.process.OsProcessRunner;
import com.proxyvault.agent.process.ProcessFailedException;
import com.proxyvault.agent.process.ProcessRunner;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;

/**
 * The real {@code mmcli}, one process per call through a {@link ProcessRunner} (the same runner the fingerprint
 * shaper uses for {@code nft}); a failed run becomes a {@link ModemException} with mmcli's error text.
 */
public final class ProcessMmcli implements Mmcli {

    private final String executable;
    private final Duration timeout;
    private final ProcessRunner runner;

    /**
     * @param executable {@code mmcli} or a path to it
     * @param timeout    longest a single call may take (a {@code --simple-connect} can take tens of seconds)
     */
    public ProcessMmcli(String executable, Duration timeout, ExecutorService executor) {
        this(executable, timeout, new OsProcessRunner(executor));
    }

    public ProcessMmcli(String executable, Duration timeout, ProcessRunner runner) {
        this.executable = executable;
        this.timeout = timeout;
        this.runner = runner;
    }

    @Override
    public CompletionStage<String> run(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(executable);
        command.addAll(args);
        CompletableFuture<String> output = new CompletableFuture<>();
        runner.run(command, null, timeout).whenComplete((stdout, failure) -> {
            if (failure == null) {
                output.complete(stdout);
                return;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            output.completeExceptionally(cause instanceof ProcessFailedException
                    ? new ModemException(cause.getMessage(), cause) : cause);
        });
        return output;
    }
}
