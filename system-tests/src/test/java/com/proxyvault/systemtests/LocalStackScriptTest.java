package com.proxyvault.systemtests;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `bin/stack` as an operator meets it, and docs/local-stack.md beside it, without starting anything: the
 * commands tested here only print or refuse.
 */
class LocalStackScriptTest {

    private static final Path REPO = ReadmeTest.REPO;
    private static final Path STACK = REPO.resolve("bin/stack");

    private record Run(int exit, String out, String err) {
    }

    private static Run stack(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", STACK.toAbsolutePath().normalize().toString()));
        command.addAll(Arrays.asList(args));
        Process process = new ProcessBuilder(command).directory(REPO.toFile()).start();
        process.getOutputStream().close();
        // generous bound for a command that only prints; not a timing assertion
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "bin/stack " + String.join(" ", args) + " returns");
        return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** The help printed a fixed 19 lines of the header and lost operator-token, running and dead-letters. */
    @Test
    void shouldShowEveryCommandInTheHelp() throws Exception {
        String script = Files.readString(STACK);
        String dispatch = script.substring(script.lastIndexOf("case ${1:-} in"));
        Matcher command = Pattern.compile("(?m)^  ([a-z-]+)\\)").matcher(dispatch);
        Run help = stack("help");
        assertEquals(0, help.exit());
        int commands = 0;
        while (command.find()) {
            commands++;
            assertTrue(help.out().contains("bin/stack " + command.group(1)), "help shows " + command.group(1) + ":\n" + help.out());
        }
        assertTrue(commands >= 9, "found the dispatch of bin/stack");
    }

    /** `dead-letters orders replya 3` listed the parked events instead of naming the typo. */
    @Test
    void shouldRefuseAnUnknownDeadLettersAction() throws Exception {
        Run run = stack("dead-letters", "orders", "replya", "3");
        assertNotEquals(0, run.exit());
        assertTrue(run.err().contains("usage: bin/stack dead-letters"), run.err());
        assertTrue(run.err().contains("'replya'"), run.err());
    }

    /** docs/local-stack.md listed 10 of the 17 topics `bin/stack infra` creates. */
    @Test
    void shouldListEveryTopicTheStackCreates() throws IOException {
        Matcher topics = Pattern.compile("(?s)\\nTOPICS=\\(([^)]*)\\)").matcher(Files.readString(STACK));
        assertTrue(topics.find(), "bin/stack declares TOPICS");
        String doc = Files.readString(REPO.resolve("docs/local-stack.md"));
        List<String> names = Arrays.stream(topics.group(1).trim().split("\\s+")).toList();
        assertTrue(names.size() > 10, "read the topics: " + names);
        for (String topic : names) {
            assertTrue(doc.contains("`" + topic + "`"), "docs/local-stack.md lists topic " + topic);
        }
    }
}
