package com.proxyvault.systemtests;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every server resource that changes state finishes what a request started when its caller hangs up (docs/api.md
 * "Hang-ups"): Quarkus REST cancels a resource method's {@code Uni} when the connection closes unless the resource
 * says {@code @Cancellable(false)}, and a cancelled multi-step write stops between its steps (a connect's move
 * neither ended nor put back: static review, stop 29, finding 1; {@code ProvisioningFlowTest
 * .shouldFinishAConnectWhoseCallerHungUpWhileTheAgentWorked} shows it on the fleet). Checked on the sources, without a
 * stack, so a new resource cannot forget it.
 */
class HangUpPolicyTest {

    /** Tests run in the module directory. */
    private static final Path ROOT = Path.of("..");
    private static final List<String> MODULES = List.of("api-gateway", "billing-service", "order-service",
            "proxy-fleet-service", "webhook-service", "platform");
    private static final Pattern WRITE = Pattern.compile("^\\s*@(POST|PUT|PATCH|DELETE)\\b", Pattern.MULTILINE);
    private static final Pattern SERVER_RESOURCE = Pattern.compile("^public (final )?class \\w+", Pattern.MULTILINE);
    private static final Pattern NOT_CANCELLABLE = Pattern.compile("^@Cancellable\\(false\\)", Pattern.MULTILINE);

    @Test
    void shouldMarkEveryWritingResourceNotCancellable() {
        List<Path> writing = MODULES.stream().flatMap(HangUpPolicyTest::sources)
                .filter(source -> {
                    String text = read(source);
                    // interfaces with @POST are REST clients, not resources
                    return WRITE.matcher(text).find() && SERVER_RESOURCE.matcher(text).find();
                })
                .toList();
        assertTrue(writing.size() >= 15, "the scan found the resources: " + writing);
        List<Path> missing = writing.stream().filter(source -> !NOT_CANCELLABLE.matcher(read(source)).find()).toList();
        assertEquals(List.of(), missing, "resources that change state without @Cancellable(false) on the class");
    }

    private static Stream<Path> sources(String module) {
        Path main = ROOT.resolve(module).resolve("src/main/java");
        try (Stream<Path> files = Files.walk(main)) {
            return files.filter(file -> file.toString().endsWith(".java")).toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
