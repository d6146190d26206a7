package com.proxyvault.agent.modems;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Answers mmcli calls with the outputs in {@code src/test/resources/mmcli} (see the README there). Each
 * command line has a queue of answers: the first ones are used once each, the last one from then on, so
 * a test can script "before the reset" and "after the reset". Every call is logged in order.
 */
final class RecordedMmcli implements Mmcli {

    static final String MODEM_0 = "/org/freedesktop/ModemManager1/Modem/0";
    static final String MODEM_1 = "/org/freedesktop/ModemManager1/Modem/1";
    static final String MODEM_2 = "/org/freedesktop/ModemManager1/Modem/2";
    static final String BEARER_0 = "/org/freedesktop/ModemManager1/Bearer/0";
    static final String BEARER_1 = "/org/freedesktop/ModemManager1/Bearer/1";
    static final String BEARER_3 = "/org/freedesktop/ModemManager1/Bearer/3";
    /** Marks an answer that is a failed mmcli run (its text is the error). */
    static final String FAILS = "!";

    private final Map<String, Deque<String>> answers = new HashMap<>();
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    /** Answers {@code mmcli <commandLine>} with these resource files (or {@code "!error text"}), in turn. */
    RecordedMmcli on(String commandLine, String... outputs) {
        answers.computeIfAbsent(commandLine, ignored -> new ArrayDeque<>()).addAll(List.of(outputs));
        return this;
    }

    List<String> calls() {
        return calls;
    }

    @Override
    public synchronized CompletionStage<String> run(List<String> args) {
        String commandLine = String.join(" ", args);
        calls.add(commandLine);
        Deque<String> queue = answers.get(commandLine);
        if (queue == null || queue.isEmpty()) {
            return CompletableFuture.failedFuture(new ModemException("unrecorded mmcli call: " + commandLine));
        }
        String answer = queue.size() > 1 ? queue.poll() : queue.peek();
        if (answer.startsWith(FAILS)) {
            return CompletableFuture.failedFuture(new ModemException("mmcli " + commandLine + " failed (exit 1): " + answer.substring(1)));
        }
        if (answer.isEmpty()) {
            return CompletableFuture.completedFuture("");
        }
        return CompletableFuture.completedFuture(resource(answer));
    }

    static String resource(String name) {
        try (InputStream in = RecordedMmcli.class.getResourceAsStream("/mmcli/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no recorded output " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
