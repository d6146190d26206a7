package com.proxyvault.agent.modems;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The modems this agent drives, by id, in configuration order. */
public final class Modems {

    private final Map<String, ModemDriver> byId;

    public Modems(List<? extends ModemDriver> drivers) {
        Map<String, ModemDriver> map = new LinkedHashMap<>();
        for (ModemDriver driver : drivers) {
            map.put(driver.modemId(), driver);
        }
        this.byId = Collections.unmodifiableMap(map);
    }

    public Optional<ModemDriver> find(String modemId) {
        return Optional.ofNullable(byId.get(modemId));
    }

    public Collection<ModemDriver> all() {
        return byId.values();
    }
}
