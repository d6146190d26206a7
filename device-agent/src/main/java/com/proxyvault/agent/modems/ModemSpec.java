package com.proxyvault.agent.modems;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the configuration says about one modem: {@code id:location:is5g:driverKey}.
 *
 * @param driverKey the driver's handle on the modem: for the simulated driver its initial exit IP, for
 *                  the ModemManager driver its equipment identifier (IMEI, {@code modem.generic.equipment-identifier}
 *                  in {@code mmcli -m N -K}), which, unlike the modem's index, survives a reset
 */
public record ModemSpec(String modemId, String locationId, boolean is5g, String driverKey) {

    /**
     * Parses the compact list from AGENT_MODEMS, e.g.
     * {@code lax-1:LAX:false:203.0.113.11,nyc-1:NYC:true:203.0.113.21}. Fails loudly at startup on
     * anything malformed: an agent that silently serves the wrong modems is worse than one that
     * doesn't start.
     */
    public static List<ModemSpec> parseList(String compact) {
        List<ModemSpec> specs = new ArrayList<>();
        Set<String> seenIds = new HashSet<>();
        for (String entry : compact.split(",")) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            ModemSpec spec = parse(trimmed);
            if (!seenIds.add(spec.modemId())) {
                throw new IllegalArgumentException("Modem id '" + spec.modemId() + "' is listed twice");
            }
            specs.add(spec);
        }
        return specs;
    }

    static ModemSpec parse(String entry) {
        String[] parts = entry.split(":");
        if (parts.length != 4 || parts[0].isBlank() || parts[1].isBlank() || parts[3].isBlank()) {
            throw new IllegalArgumentException(
                    "Modem '" + entry + "' is not id:location:is5g:exitIp-or-equipment-id (e.g. lax-1:LAX:false:203.0.113.11)");
        }
        String is5g = parts[2].trim().toLowerCase();
        if (!is5g.equals("true") && !is5g.equals("false")) {
            throw new IllegalArgumentException("Modem '" + entry + "': is5g must be true or false");
        }
        return new ModemSpec(parts[0].trim(), parts[1].trim(), Boolean.parseBoolean(is5g), parts[3].trim());
    }
}
