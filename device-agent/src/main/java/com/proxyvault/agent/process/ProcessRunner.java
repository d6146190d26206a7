package com.proxyvault.agent.process;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Runs a host command line tool (ModemManager's {@code mmcli}, nftables' {@code nft}) and hands back its standard
 * output. {@link OsProcessRunner} starts real processes; tests answer with recorded outputs and check the command
 * lines (and standard input) they were given, so nothing in a test needs the tools or root.
 */
public interface ProcessRunner {

    /**
     * Runs {@code command} (the executable, then its arguments, passed as given: no shell), writing {@code stdin}
     * (null: nothing, the input is closed at once) to its standard input.
     *
     * @param timeout longest the process may run; past it, it is killed
     * @return its standard output, on exit code 0; otherwise it fails with {@link ProcessFailedException} naming
     *         the command, the exit code and the tool's standard error (or the timeout, or why it could not start)
     */
    CompletionStage<String> run(List<String> command, String stdin, Duration timeout);
}
