package com.proxyvault.systemtests;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The seed contract as the tests read it: the test resource reseller-api.txt, a copy of
 * ../shared/seeds/reseller-api.txt (CI runs on a clean clone, so the copy is committed;
 * OpenApiDocumentTest checks that it still equals the shared seed wherever that is present).
 */
final class SeedContract {

    static final String RESOURCE = "reseller-api.txt";

    /**
     * Public operations beyond the seed, each decided in an issue and listed in docs/api.md ("Beyond the
     * seed"); the OpenAPI document must hold exactly the seed's operations plus these.
     */
    static final Set<String> EXTENSIONS = Set.of(
            "GET /v1/reseller/balance/transactions",
            // auto-renew (issue 7, docs/money.md "Renewals")
            "PATCH /v1/reseller/proxies/{}",
            // webhooks (issue 9, docs/webhooks.md)
            "POST /v1/reseller/webhooks/{}/test",
            "POST /v1/reseller/webhooks/{}/rotate-secret",
            "POST /v1/reseller/webhooks/{}/enable",
            "POST /v1/reseller/webhooks/{}/replay",
            "POST /v1/reseller/webhooks/{}/deliveries/{}/resend");

    /** The seed's operations and {@link #EXTENSIONS}. */
    static Set<String> publicOperations() {
        Set<String> all = new java.util.TreeSet<>(operations());
        all.addAll(EXTENSIONS);
        return all;
    }

    private static final Pattern METHOD = Pattern.compile("-X\\s+([A-Z]+)");
    private static final Pattern URL = Pattern.compile("https://proxy-vault\\.com(/[^\\s\"'?]*)");

    private SeedContract() {
    }

    static String text() {
        try (InputStream in = SeedContract.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + RESOURCE + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Every operation the seed's {@code curl} examples call, as {@code "METHOD /path"} with each id
     * segment (a {name} placeholder or a number, as in the quick start's /orders/42/pay) written {@code {}}.
     */
    static Set<String> operations() {
        Set<String> operations = new TreeSet<>();
        String[] lines = text().split("\n");
        for (int i = 0; i < lines.length; i++) {
            int at = lines[i].indexOf("curl");
            if (at < 0 || lines[i].trim().startsWith("#")) {
                continue;
            }
            // A command runs on while its lines end with a backslash.
            StringBuilder command = new StringBuilder(lines[i].substring(at));
            while (lines[i].stripTrailing().endsWith("\\") && i + 1 < lines.length) {
                command.append(' ').append(lines[++i]);
            }
            Matcher url = URL.matcher(command);
            if (!url.find()) {
                continue;
            }
            Matcher method = METHOD.matcher(command);
            operations.add((method.find() ? method.group(1) : "GET") + " " + template(url.group(1)));
        }
        return operations;
    }

    /** The path with every id segment ({name} or digits) as {}, so seed and OpenAPI paths compare. */
    static String template(String path) {
        return path.replaceAll("/(\\{[^}/]+}|\\d+)(?=/|$)", "/{}");
    }
}
