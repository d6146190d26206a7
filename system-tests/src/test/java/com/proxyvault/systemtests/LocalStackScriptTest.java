package com.proxyvault.systemtests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `bin/stack` as an operator meets it, and docs/local-stack.md beside it, without starting anything of the stack:
 * the commands tested here only print or refuse, and the one step of `up` tested here runs against a temporary checkout.
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

    /**
     * `PV_FLEET_REPLICAS=2 bin/stack up` on a running stack reported success and changed nothing: fleet-1 kept the agent
     * tokens it was started with (new-user review 5, finding 10). `up` starts PostgreSQL and Kafka before it reaches the
     * services, so this runs its step for one service, app_start, with bin/stack's functions sourced from a copy of the
     * script in a temporary checkout: its .stack is that checkout's, never the one the running stack uses. The "running"
     * fleet is a sleep carrying the marker bin/stack puts on the command line of every JVM it starts.
     */
    @Test
    void shouldWarnWhenARunningServiceWasStartedWithOtherSettings(@TempDir Path checkout) throws Exception {
        Path copy = checkout.resolve("bin/stack");
        Files.createDirectories(copy.getParent());
        Files.copy(STACK, copy);
        // fleet-1 started by a plain `up`: its settings recorded with app_start's own line, copied here because app_start
        // runs it only on the way to starting the JVM
        Run started = sourced(checkout, Map.of(), """
                mkdir -p "$STACK/run/proxy-fleet-service"
                mapfile -t envs < <(app_env proxy-fleet-service)
                printf '%s\\n' "${envs[@]}" | sha256sum >"$STACK/run/proxy-fleet-service/settings.sha256"
                """);
        assertEquals(0, started.exit(), started.err());

        Run same = sourced(checkout, Map.of(), UP_ON_A_RUNNING_FLEET);
        Run twoReplicas = sourced(checkout, Map.of("PV_FLEET_REPLICAS", "2"), UP_ON_A_RUNNING_FLEET);

        assertEquals(0, same.exit(), same.err());
        assertTrue(same.out().contains("proxy-fleet-service already running"), same.out());
        // the warning only when something differs, or it would be noise on every `up`
        assertFalse(same.err().contains("WARNING"), same.err());
        assertEquals(0, twoReplicas.exit(), twoReplicas.err());
        assertTrue(twoReplicas.out().contains("proxy-fleet-service already running"), twoReplicas.out());
        assertTrue(twoReplicas.err().contains("WARNING: proxy-fleet-service runs with other settings than this command gives it"),
                twoReplicas.err());
    }

    /** app_start of a fleet that runs: a live process with the fleet's marker in its pid file. */
    private static final String UP_ON_A_RUNNING_FLEET = """
            (exec -a "java -Dproxyvault.component=proxy-fleet-service -Dproxyvault.stack=$STACK -jar quarkus-run.jar" sleep 120 </dev/null >/dev/null 2>&1) &
            fake=$!
            trap 'kill "$fake" 2>/dev/null || true' EXIT
            mkdir -p "$PIDS"
            echo "$fake" >"$(pid_file proxy-fleet-service)"
            # until the exec has given the sleep its command line (bounded; app_start then reports what it sees)
            for ((i = 0; i < 100; i++)); do running_pid proxy-fleet-service >/dev/null && break; sleep 0.05; done
            app_start proxy-fleet-service
            """;

    /**
     * Runs {@code script} in bash after sourcing the copy of bin/stack in {@code checkout} with `help`, which only prints
     * (to stdout, unredirected: bin/stack closes the descriptors it inherits, among them the copy of stdout bash would
     * restore after a redirection), with no PV_* setting of the caller's environment but {@code settings}.
     */
    private static Run sourced(Path checkout, Map<String, String> settings, String script) throws Exception {
        String copy = checkout.resolve("bin/stack").toAbsolutePath().toString();
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", "source \"$0\" help\n" + script, copy)
                .directory(checkout.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("PV_"));
        builder.environment().putAll(settings);
        Process process = builder.start();
        process.getOutputStream().close();
        // generous bound for a script that starts nothing but a sleep; not a timing assertion
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            throw new AssertionError("the sourced bin/stack did not return");
        }
        return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
