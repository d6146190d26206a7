package com.proxyvault.agent.process;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A {@link ProcessRunner} for tests: records every command line with its standard input, and answers from a
 * script (each outcome once, the last one from then on; by default every run succeeds with no output), so a test
 * checks exactly what the agent would run on a host, with no tool installed and no root.
 */
public final class RecordedProcessRunner implements ProcessRunner {

    /** One run: the command line and what was written to its standard input (null: nothing). */
    public record Run(List<String> command, String stdin) {
    }

    private final List<Run> runs = Collections.synchronizedList(new ArrayList<>());
    private final Deque<String> failures = new ArrayDeque<>();

    /** The next runs fail with these errors (null: that run succeeds), in turn; after them every run succeeds. */
    public synchronized RecordedProcessRunner thenFail(String... errors) {
        failures.addAll(List.of(errors));
        return this;
    }

    public List<Run> runs() {
        return List.copyOf(runs);
    }

    /** The standard input of the last run. */
    public String lastInput() {
        List<Run> all = runs();
        if (all.isEmpty()) {
            throw new AssertionError("nothing was run");
        }
        return all.get(all.size() - 1).stdin();
    }

    @Override
    public synchronized CompletionStage<String> run(List<String> command, String stdin, Duration timeout) {
        runs.add(new Run(List.copyOf(command), stdin));
        String failure = failures.poll();
        if (failure != null) {
            return CompletableFuture.failedFuture(new ProcessFailedException(failure));
        }
        return CompletableFuture.completedFuture("");
    }
}
