package com.proxyvault.agent.modems;

import com.proxyvault.agent.AgentConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.List;

/** Builds the modem drivers from AGENT_MODEMS. Only simulated drivers exist so far. */
@ApplicationScoped
public class ModemsProducer {

    private static final Logger LOG = Logger.getLogger(ModemsProducer.class);

    @Produces
    @Singleton
    Modems modems(AgentConfig config) {
        List<SimulatedModemDriver> drivers = ModemSpec.parseList(config.modems()).stream()
                .map(SimulatedModemDriver::new)
                .toList();
        if (drivers.isEmpty()) {
            throw new IllegalStateException("AGENT_MODEMS lists no modems: the agent would have nothing to serve");
        }
        drivers.forEach(driver -> LOG.infof("Driving %s", driver));
        return new Modems(drivers);
    }
}
