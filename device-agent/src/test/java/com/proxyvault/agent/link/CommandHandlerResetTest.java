package com.proxyvault.agent.link;

import com.proxyvault.agent.fingerprint.FingerprintShaper;
import com.proxyvault.agent.modems.ModemSpec;
import com.proxyvault.agent.modems.Modems;
import com.proxyvault.agent.modems.SimulatedModemDriver;
import com.proxyvault.agent.modems.SimulatedModemSettings;
import com.proxyvault.agent.proxy.OriginPolicy;
import com.proxyvault.agent.proxy.ProxyEventLoop;
import com.proxyvault.agent.proxy.ProxyListeners;
import com.proxyvault.contracts.agent.v1.CommandResult;
import com.proxyvault.contracts.agent.v1.FleetMessage;
import com.proxyvault.contracts.agent.v1.ResetIp;
import com.proxyvault.contracts.agent.v1.ResetMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ResetIp's answers as the fleet reads them for the modem's cooldown (docs/fleet.md "Cooldown given back"): a reset the
 * agent refused before asking any modem is {@code ok=false, attempted=false} (the fleet gives the cooldown back); one
 * whose modem driver was called and failed is {@code ok=false, attempted=true} (the modem may have been reset: the
 * fleet keeps the cooldown). Against a simulated modem scripted to fail its first reset.
 */
class CommandHandlerResetTest {

    private static final Duration PATIENCE = Duration.ofSeconds(10);

    /** lax-1's first reset fails ("did not come back"), its second works. */
    private final SimulatedModemDriver modem = new SimulatedModemDriver(new ModemSpec("lax-1", "LAX", false, "203.0.113.60"),
            new SimulatedModemSettings(Duration.ZERO, Duration.ZERO, 0, 0,
                    List.of(SimulatedModemSettings.Outcome.FAIL, SimulatedModemSettings.Outcome.OK)), new Random(1));
    private final ProxyEventLoop eventLoop = new ProxyEventLoop();
    private final ProxyListeners listeners = new ProxyListeners(eventLoop, "127.0.0.1", OriginPolicy.allowing(List.of()));
    private final CommandHandler handler = new CommandHandler(CommandHandlerFingerprintTest.config(), new Modems(List.of(modem)), listeners,
            FingerprintShaper.recordingOnly(), Clock.systemUTC());

    @AfterEach
    void stop() {
        eventLoop.close();
    }

    private CommandResult handle(ResetIp.Builder reset) {
        return handler.handle(FleetMessage.newBuilder().setCommandId(UUID.randomUUID().toString()).setResetIp(reset).build(),
                handler.nowMillis()).await().atMost(PATIENCE);
    }

    @Test
    void shouldSayTheResetWasAttemptedWhenTheModemDriverFailed() {
        CommandResult failed = handle(ResetIp.newBuilder().setModemId("lax-1").setMode(ResetMode.RESET_MODE_HARD));

        assertFalse(failed.getOk());
        assertTrue(failed.getAttempted(), "the driver was asked: the modem may have been reset");
        assertTrue(failed.getError().contains("did not come back"), failed.getError());

        CommandResult reset = handle(ResetIp.newBuilder().setModemId("lax-1").setMode(ResetMode.RESET_MODE_HARD));
        assertTrue(reset.getOk(), reset.getError());
        assertFalse(reset.getAttempted(), "attempted goes only with ok=false");
        assertNotEquals("203.0.113.60", reset.getExitIp());
    }

    @Test
    void shouldNotSayARefusedResetWasAttempted() {
        CommandResult unknownModem = handle(ResetIp.newBuilder().setModemId("nyc-9"));
        assertFalse(unknownModem.getOk());
        assertFalse(unknownModem.getAttempted(), unknownModem.getError());
        assertEquals("unknown modem 'nyc-9'", unknownModem.getError());

        CommandResult notServed = handle(ResetIp.newBuilder().setProxyId(77));
        assertFalse(notServed.getOk());
        assertFalse(notServed.getAttempted(), notServed.getError());
        assertEquals("proxy 77 is not served by this agent", notServed.getError());

        CommandResult expired = handler.handle(FleetMessage.newBuilder().setCommandId(UUID.randomUUID().toString())
                .setTimeoutMs(1_000).setResetIp(ResetIp.newBuilder().setModemId("lax-1")).build(),
                handler.nowMillis() - 5_000).await().atMost(PATIENCE);
        assertFalse(expired.getOk());
        assertFalse(expired.getAttempted(), expired.getError());
        assertTrue(expired.getError().startsWith("expired before it was started"), expired.getError());

        // none of them asked the modem: its scripted first reset (a failure) is still to come
        assertTrue(handle(ResetIp.newBuilder().setModemId("lax-1")).getAttempted());
    }
}
