package com.proxyvault.agent.fingerprint;

import com.proxyvault.agent.modems.ModemDriver;
import com.proxyvault.agent.modems.ModemSpec;
import com.proxyvault.agent.modems.ResetMode;
import com.proxyvault.agent.modems.SimulatedModemDriver;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A modem whose data session is on an interface the test names (as the ModemManager driver reads it from
 * {@code bearer.status.interface}); resets as a simulated modem does.
 */
public final class InterfaceModem implements ModemDriver {

    private final SimulatedModemDriver simulated;
    private volatile Optional<String> interfaceName;

    public InterfaceModem(String modemId, String interfaceName) {
        this.simulated = new SimulatedModemDriver(new ModemSpec(modemId, "LAX", false, "203.0.113.60"));
        this.interfaceName = Optional.ofNullable(interfaceName);
    }

    /** The interface moves (a hard reset re-enumerated the modem) or goes away (null: offline). */
    public void onInterface(String name) {
        this.interfaceName = Optional.ofNullable(name);
    }

    @Override public String modemId() { return simulated.modemId(); }
    @Override public String locationId() { return simulated.locationId(); }
    @Override public boolean is5g() { return false; }
    @Override public boolean online() { return true; }
    @Override public String exitIp() { return simulated.exitIp(); }
    @Override public CompletionStage<String> resetIp(ResetMode mode) { return simulated.resetIp(mode); }
    @Override public Optional<InetAddress> egressBindAddress() { return Optional.empty(); }
    @Override public Optional<String> interfaceName() { return interfaceName; }
}
