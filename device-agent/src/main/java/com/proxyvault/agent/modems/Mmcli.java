package com.proxyvault.agent.modems;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Runs ModemManager's command line client. {@link ProcessMmcli} runs the real {@code mmcli}; tests answer
 * with recorded outputs.
 */
public interface Mmcli {

    /**
     * Runs {@code mmcli <args>}; completes with its standard output, or fails with {@link ModemException}
     * (non-zero exit, with mmcli's error text; or a timeout).
     */
    CompletionStage<String> run(List<String> args);

    /**
     * Parses {@code --output-keyvalue} (-K) output: one {@code key : value} per line, keys padded with
     * spaces, {@code --} for "no value" (dropped here), list items as {@code key.value[1]}, {@code key.value[2]} ...
     * The key is everything before the first colon (keys never contain one; values, e.g. IPv6, may).
     */
    static java.util.Map<String, String> keyValues(String output) {
        java.util.Map<String, String> values = new java.util.LinkedHashMap<>();
        for (String line : output.split("\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (!key.isEmpty() && !value.isEmpty() && !value.equals("--")) {
                values.put(key, value);
            }
        }
        return values;
    }

    /** The items of a list key ({@code key.value[1]}, {@code key.value[2]} ...) in order; {@code key.length} is ignored. */
    static List<String> listValues(java.util.Map<String, String> values, String key) {
        List<String> items = new java.util.ArrayList<>();
        for (int i = 1; values.containsKey(key + ".value[" + i + "]"); i++) {
            items.add(values.get(key + ".value[" + i + "]"));
        }
        return items;
    }
}
