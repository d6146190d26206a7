package com.proxyvault.systemtests;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's commands as a new reseller or operator copies them, checked without a stack: faults found by
 * following the README alone on a fresh `bin/stack up`.
 */
class ReadmeTest {

    /** Tests run in the module directory. */
    static final Path REPO = Path.of("..");

    private static String readme() throws IOException {
        return Files.readString(REPO.resolve("README.md"));
    }

    /** The README's code lines (indented by four spaces), continuation lines included. */
    private static List<String> codeLines() throws IOException {
        return readme().lines().filter(line -> line.startsWith("    ")).map(String::strip).toList();
    }

    /**
     * The operator example creates reseller "acme" and then tops it up: with a literal id it topped up
     * reseller 1, which on a fresh stack is the demo reseller (`acme` is 2), so the 100.00 went to the wrong
     * account.
     */
    @Test
    void shouldNotAddressAHardCodedResellerInTheOperatorExample() throws IOException {
        Pattern literalId = Pattern.compile("/v1/admin/resellers/[0-9]+");
        for (String line : codeLines()) {
            assertFalse(literalId.matcher(line).find(), "README operator example names a fixed reseller id: " + line);
        }
    }

    /**
     * The local agent refuses every non-public target except the stack's test origin (bin/stack
     * `AGENT_ALLOWED_PRIVATE_TARGETS`, `PV_ORIGIN_PORT`): a proxy example must aim there, or a new user
     * trying it sees only 403 (and 502 for public names on a machine without internet).
     */
    @Test
    void shouldShowTheProxyUsedAgainstTheOnlyLocalOriginTheAgentMayReach() throws IOException {
        Matcher port = Pattern.compile("ORIGIN_PORT=\"\\$\\{PV_ORIGIN_PORT:-([0-9]+)}\"")
                .matcher(Files.readString(REPO.resolve("bin/stack")));
        assertTrue(port.find(), "bin/stack sets ORIGIN_PORT");
        List<String> proxied = codeLines().stream().filter(line -> line.contains("--proxy-user")).toList();
        assertFalse(proxied.isEmpty(), "README shows how to use a bought proxy");
        Pattern target = Pattern.compile("http://(127\\.0\\.0\\.1|localhost):([0-9]+)/");
        for (String line : proxied) {
            Matcher m = target.matcher(line);
            assertTrue(m.find(), "a local origin in: " + line);
            assertEquals(port.group(1), m.group(2), "origin port in: " + line);
        }
    }

    /** "Not yet built" listed two replicas of every service while the README told how to run them. */
    @Test
    void shouldNotCallUnbuiltWhatItTellsHowToRun() throws IOException {
        String readme = readme();
        int at = readme.indexOf("Not yet built");
        assertTrue(at >= 0, "README says what is not built yet");
        String notBuilt = readme.substring(at, readme.indexOf('.', at));
        if (readme.contains("bin/stack up --replicas 2")) {
            assertFalse(notBuilt.contains("replicas"), "README runs --replicas 2 but calls it unbuilt: " + notBuilt);
        }
    }
}
